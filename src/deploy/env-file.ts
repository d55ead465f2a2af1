const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PLAIN = /^[A-Za-z0-9_./:@%+,=-]*$/;

// Compose (v1's python-dotenv and v2) take single-quoted values literally: no `$` interpolation.
function quote(name: string, value: string): string {
  if (/[\n\r\0]/.test(value))
    throw new Error(`.env: the value of ${name} contains a line break, which .env cannot hold`);
  if (PLAIN.test(value)) return value;
  if (!value.includes("'")) return `'${value}'`;
  // Double quotes interpolate `$` differently in each compose version: refuse rather than guess.
  if (value.includes('$'))
    throw new Error(`.env: the value of ${name} contains both ' and $, which .env cannot hold verbatim`);
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Renders a compose `.env`: names sorted, values quoted so compose reads them back verbatim. */
export function renderEnvFile(vars: Readonly<Record<string, string>>): string {
  const lines = Object.keys(vars)
    .sort()
    .map((name) => {
      if (!NAME.test(name)) throw new Error(`.env: invalid variable name ${JSON.stringify(name)}`);
      return `${name}=${quote(name, vars[name]!)}`;
    });
  return `# Written by Slipway for this release; mode 0600.\n${lines.join('\n')}\n`;
}

/** Variable name of a service's port: `SLIPWAY_PORT_<SERVICE>`, upper-cased, other characters as `_`. */
export function portVariable(service: string): string {
  return `SLIPWAY_PORT_${service.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}
