import type { RecordedConfig, ReleaseRecord as RecordedRelease } from '../store/types.ts';
import type { ReleaseRecord } from './release.ts';

/**
 * Where a deploy records its releases and finds the one a rollback restores. The engine backs it with the
 * store's ledger for the run (steps never open the store); tests and benches with their own.
 */
export interface ReleaseLedger {
  /** Records a release that went live, with the configuration a rollback to it would restore. */
  record(r: ReleaseRecord, config: RecordedConfig): void;
  /** A recorded release by its ledger id. */
  recorded(id: number): RecordedRelease | undefined;
  /** The id of the release recorded last for an app on a host of an environment, if any. */
  lastRecorded(q: { environment: string; host: string; app: string }): string | undefined;
}
