import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { developmentConnectionString, startAzurite } from '../azurite/azurite';

/**
 * One Azurite for a whole `npm test` run, with a storage account for each test stack. Starting an Azurite per
 * stack cost about a second (and most of a core) each, some thirty times a run. Accounts keep the stacks apart
 * as separate Azurites did: the service's queue, container and table names are fixed (storageNames.ts), and
 * tests count what is on a queue, list every blob, and run the retention sweep over all jobs.
 *
 * local/allTests.ts starts it and names it to the test processes in EDU4ALL_TEST_AZURITE; a stack claims an
 * unused account by creating a file of its name (O_EXCL, so two test processes never get the same one). A test
 * file run on its own (no variable) starts an Azurite of its own, as before.
 */

/** What a test stack needs of Azurite: the endpoints, and a connection string for its own account. */
export interface TestStorage {
  readonly blobUrl: string;
  readonly queueUrl: string;
  readonly tableUrl: string;
  readonly connectionString: string;
}

interface SharedAzurite {
  readonly blobUrl: string;
  readonly queueUrl: string;
  readonly tableUrl: string;
  readonly accounts: readonly string[];
  /** A folder with a file for each account taken. */
  readonly claims: string;
}

const variable = 'EDU4ALL_TEST_AZURITE';

/** Starts the run's Azurite with this many accounts; `env` names it to the test processes. */
export async function startSharedAzurite(accountCount: number): Promise<{ env: Record<string, string>; stop(): Promise<void> }> {
  const accounts = Array.from({ length: accountCount }, (_, i) => `edu4alltest${i + 1}`);
  const azurite = await startAzurite({ quiet: true, accounts });
  const claims = mkdtempSync(path.join(tmpdir(), 'edu4all-test-accounts-'));
  const shared: SharedAzurite = { blobUrl: azurite.blobUrl, queueUrl: azurite.queueUrl, tableUrl: azurite.tableUrl, accounts, claims };
  return {
    env: { [variable]: JSON.stringify(shared) },
    stop: async () => {
      await azurite.stop();
      rmSync(claims, { recursive: true, force: true });
    },
  };
}

/** Storage of its own for one test stack, and how to let it go: an account of the run's Azurite, or a new Azurite. */
export async function startTestStorage(): Promise<{ storage: TestStorage; release: () => Promise<void> }> {
  const named = process.env[variable];
  if (!named) {
    const azurite = await startAzurite({ quiet: true });
    return { storage: azurite, release: () => azurite.stop() };
  }
  const shared = JSON.parse(named) as SharedAzurite;
  for (const account of shared.accounts) {
    try {
      closeSync(openSync(path.join(shared.claims, account), 'wx'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw error;
    }
    const { blobUrl, queueUrl, tableUrl } = shared;
    // An account is used once a run: what a stack leaves in it is left alone, as a stopped Azurite's was.
    return { storage: { blobUrl, queueUrl, tableUrl, connectionString: developmentConnectionString(blobUrl, queueUrl, tableUrl, account) }, release: () => Promise.resolve() };
  }
  throw new Error(`All ${shared.accounts.length} storage accounts of the run's Azurite are taken: start it with more (local/allTests.ts).`);
}
