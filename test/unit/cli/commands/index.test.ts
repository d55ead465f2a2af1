import { describe, expect, it } from 'vitest';
import { commandLoaders, commandsFor, commandWord } from '../../../../src/cli/commands/index.ts';

describe('command loading', () => {
  it('finds the command word after global options and their values', () => {
    expect(commandWord(['validate', '--json'])).toBe('validate');
    expect(commandWord(['-C', '/srv/ops', '--inventories', 'inventories/sandbox', 'run', 'p.yml'])).toBe(
      'run',
    );
    expect(commandWord(['--repo', 'run', 'plan'])).toBe('plan');
    expect(commandWord(['--parallel', '4', 'run', 'p.yml'])).toBe('run');
    expect(commandWord(['sandbox', 'up', '--hosts', 'dev1'])).toBe('sandbox');
  });

  it('loads every command for help, typos and no command, so commander can answer', async () => {
    for (const args of [[], ['--help'], ['valdate'], ['-C', 'x']]) expect(commandWord(args)).toBeUndefined();
    expect(await commandsFor(['--help'])).toHaveLength(Object.keys(commandLoaders).length);
  });

  it('registers exactly the command its name says', async () => {
    const { Command } = await import('commander');
    for (const name of Object.keys(commandLoaders)) {
      const program = new Command();
      for (const register of await commandsFor([name])) register(program);
      expect(program.commands.map((c) => c.name())).toEqual([name]);
    }
  });
});
