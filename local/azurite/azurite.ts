import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/**
 * Starts Azurite (npm `azurite`) as a child process. --skipApiVersionCheck is still needed with Azurite 3.37:
 * @azure/storage-blob 12.34 sends x-ms-version 2026-10-06 and Azurite knows up to 2026-06-06 (400
 * InvalidHeaderValue otherwise; checked 2026-11-25). SAS links no longer need a pinned older version: 3.37
 * accepts the SDK's default for service and user-delegation SAS. --disableTelemetry because there is no
 * network. Port 0 picks free ports, read back from Azurite's own start-up lines.
 */

export interface AzuriteOptions {
  /** A folder for the data; absent means in memory (tests). */
  readonly location?: string;
  readonly blobPort?: number;
  readonly queuePort?: number;
  readonly tablePort?: number;
  readonly quiet?: boolean;
  /** HTTPS with Microsoft Entra (OAuth) checks, as Azure Storage does for identity-based access. */
  readonly oauth?: { readonly certPath: string; readonly keyPath: string };
  /**
   * More storage accounts beside the development account, each with the development key (Azurite's
   * AZURITE_ACCOUNTS), so that one Azurite can hold the storage of several test stacks apart.
   */
  readonly accounts?: readonly string[];
}

export interface Azurite {
  readonly blobUrl: string;
  readonly queueUrl: string;
  /** The Table service: the job-listing index. */
  readonly tableUrl: string;
  /** A connection string for the well-known development account. */
  readonly connectionString: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/** Azurite's well-known development account; the key is public and documented, not a secret. */
const devAccount = 'devstoreaccount1';
const devKey = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** A connection string for the development account, or for another account started with `accounts` (same key). */
export function developmentConnectionString(blobUrl: string, queueUrl: string, tableUrl: string, account: string = devAccount): string {
  return `DefaultEndpointsProtocol=http;AccountName=${account};AccountKey=${devKey};BlobEndpoint=${blobUrl}/${account};QueueEndpoint=${queueUrl}/${account};TableEndpoint=${tableUrl}/${account};`;
}

export async function startAzurite(options: AzuriteOptions = {}): Promise<Azurite> {
  const azuriteMain = path.join(path.dirname(require.resolve('azurite/package.json')), 'dist', 'src', 'azurite.js');
  const args = [
    azuriteMain,
    '--skipApiVersionCheck',
    '--disableTelemetry',
    '--blobHost', '127.0.0.1',
    '--queueHost', '127.0.0.1',
    '--tableHost', '127.0.0.1',
    '--blobPort', String(options.blobPort ?? 0),
    '--queuePort', String(options.queuePort ?? 0),
    '--tablePort', String(options.tablePort ?? 0),
    ...(options.location ? ['--location', options.location] : ['--inMemoryPersistence']),
    ...(options.oauth ? ['--oauth', 'basic', '--cert', options.oauth.certPath, '--key', options.oauth.keyPath] : []),
  ];
  // Naming accounts turns the development account off, so it is named too.
  const accounts = options.accounts?.length ? { AZURITE_ACCOUNTS: [devAccount, ...options.accounts].map((account) => `${account}:${devKey}`).join(';') } : {};
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...accounts } });
  const urls: { blob?: string; queue?: string; table?: string } = {};
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Azurite did not start within 30 s:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      if (!options.quiet) process.stdout.write(text.replace(/^/gm, '[azurite] '));
      for (const match of text.matchAll(/Azurite (Blob|Queue|Table) service is successfully listening at (\S+)/g)) {
        urls[match[1] === 'Blob' ? 'blob' : match[1] === 'Queue' ? 'queue' : 'table'] = match[2];
      }
      if (urls.blob && urls.queue && urls.table) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited with code ${code}:\n${output}`));
    });
  });
  const blobUrl = urls.blob ?? '';
  const queueUrl = urls.queue ?? '';
  const tableUrl = urls.table ?? '';
  return {
    blobUrl,
    queueUrl,
    tableUrl,
    connectionString: developmentConnectionString(blobUrl, queueUrl, tableUrl),
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
