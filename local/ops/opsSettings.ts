import type { StorageConfig } from '../../shared/config/config';

/** Where the ops commands look: an Azure storage account by name (keyless), or the local settings' storage. */
export interface OpsSettings {
  readonly account?: string;
  readonly env: Record<string, string | undefined>;
}

export class OpsError extends Error {
  constructor(
    message: string,
    /** 2: the command was used wrongly; 1: it could not be done. */
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
    this.name = 'OpsError';
  }
}

export function loadConfigForOps(settings: OpsSettings): StorageConfig {
  if (settings.account) {
    if (!/^[a-z0-9]{3,24}$/.test(settings.account)) throw new OpsError(`--account: '${settings.account}' is not a storage account name (3-24 lower-case letters and digits).`, 2);
    return {
      kind: 'identity',
      blobServiceUri: `https://${settings.account}.blob.core.windows.net`,
      queueServiceUri: `https://${settings.account}.queue.core.windows.net`,
      tableServiceUri: `https://${settings.account}.table.core.windows.net`,
    };
  }
  const connectionString = settings.env['AzureWebJobsStorage'];
  if (!connectionString) throw new OpsError('No storage to look at: run npm start (local.settings.json sets AzureWebJobsStorage), or pass --account <storage account> for Azure (after az login).', 2);
  return { kind: 'connectionString', connectionString: connectionString === 'UseDevelopmentStorage=true' ? 'UseDevelopmentStorage=true' : connectionString };
}
