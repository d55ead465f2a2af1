import { z } from 'zod';
import { access } from './schema/access.ts';
import { inventoryFile, inventoryVars } from './schema/inventory.ts';
import { pipeline } from './schema/pipeline.ts';
import { project } from './schema/project.ts';
import { sites } from './schema/sites.ts';

const FILES = {
  'project.schema.json': [project, 'slipway.yml: environments, teams and people'],
  'pipeline.schema.json': [pipeline, 'A Slipway pipeline (pipelines/*.yml)'],
  'sites.schema.json': [sites, 'infra/sites.yml: domains and their routes'],
  'access.schema.json': [access, 'infra/access.yml: users, keys and host groups'],
  'inventory.schema.json': [inventoryFile, 'An Ansible YAML inventory (inventories/<env>/*.yml)'],
  'vars.schema.json': [inventoryVars, 'Ansible group_vars/host_vars file'],
} as const;

/** JSON Schema documents (file name -> schema) generated from the zod schemas, describing what users write. */
export function jsonSchemas(): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [file, [schema, title]] of Object.entries(FILES)) {
    const json = z.toJSONSchema(schema as z.ZodType, {
      io: 'input',
      unrepresentable: 'any',
      target: 'draft-7',
    });
    out[file] = { ...json, title };
  }
  return out;
}
