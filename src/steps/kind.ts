// The contract of a step kind. A kind declares, in one module under src/steps/kinds/, everything Slipway
// knows about it; the registry (kinds/index.ts) derives the pipeline schema, the cross-file checks,
// `slipway describe` and the README's table from these declarations. Every part is required, so a kind
// that forgets one does not compile.
import { z } from 'zod';
import type { Access } from '../config/schema/access.ts';
import { duration } from '../config/schema/common.ts';
import type { Sites } from '../config/schema/sites.ts';
import type { Inventory } from '../config/types.ts';
import type { StepHandler } from './types.ts';

/** Options every step accepts beside its kind's key. */
const common = {
  name: z.string().min(1).optional(),
  timeout: duration.optional(),
  retries: z.number().int().min(0).max(10).optional(),
};

/** The schema of a whole step: `{ <key>: options, name?, timeout?, retries? }`, nothing else. */
export type StepSchema<K extends string, O extends z.ZodType> = z.ZodObject<
  { [P in K]: O } & typeof common,
  z.core.$strict
>;

/** A step of kind K as the schema outputs it. */
export type StepOf<K extends string, O extends z.ZodType> = z.output<StepSchema<K, O>>;

/**
 * What a describe line may look at besides the step itself. (Not the whole OpsRepo: the pipeline's type is
 * inferred from the kinds, so a kind's declaration must not depend on it.)
 */
export interface DescribeContext {
  pipeline: { name: string; image?: string | undefined };
  /** The job's inventory; undefined for runner-only jobs. */
  inventory?: Inventory;
  accessFiles: ReadonlyMap<string, Access>;
  sitesFiles: ReadonlyMap<string, Sites>;
}

/**
 * A repository file a step reads: a path; a path that must be a file or a directory (`is`); or a document
 * validated with its own schema when the repository loads.
 */
export type RepoFile =
  | string
  | undefined
  | { path: string; is: 'file' | 'directory' }
  | { path: string; document: 'sites' | 'access' };

/** What a kind's author writes. */
export interface StepKindSpec<K extends string, O extends z.ZodType> {
  /** The key that names the kind in a pipeline (`deploy:`). */
  key: K;
  /** One sentence for the README's table and the JSON Schema. */
  summary: string;
  /** The options under the key. */
  options: O;
  /** `runner` when the step works on the runner, else the option naming its inventory group or host. */
  hosts: 'runner' | ((options: z.output<O>) => string);
  /** Repository files the step reads, by option name; validation checks each exists inside the repository. */
  files(options: z.output<O>): Record<string, RepoFile>;
  /** The text after `<kind>: ` in `slipway describe`. */
  describe(options: z.output<O>, ctx: DescribeContext): string;
  /**
   * Whether a scheduled drift check (`on.schedule` with `mode: plan`) may plan it: its plan compares the
   * hosts' live state with the repository and is empty when nobody changed them. A kind whose plan is work a
   * run always does (a command, a build) or that needs an earlier step's output (a digest) is no drift.
   */
  driftCheck: boolean;
  /** Its `plan` and `apply`, loaded on first use so that validating a pipeline loads no runtime code. */
  handler(): Promise<StepHandler<StepOf<K, O>>>;
}

/** A registered kind: its declaration plus the schema of a whole step. */
export interface StepKindDef<K extends string = string, O extends z.ZodType = z.ZodType>
  extends StepKindSpec<K, O> {
  schema: StepSchema<K, O>;
}

/** Declares a step kind. */
export function defineStepKind<K extends string, O extends z.ZodType>(
  spec: StepKindSpec<K, O>,
): StepKindDef<K, O> {
  const shape = { [spec.key]: spec.options.describe(spec.summary), ...common } as {
    [P in K]: O;
  } & typeof common;
  return { ...spec, schema: z.strictObject(shape) };
}
