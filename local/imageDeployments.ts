/**
 * LOCAL_IMAGE_DEPLOYMENTS (npm start only): how many local image services to run as a pool of deployments,
 * so the pool's pacing and failover can be seen on one machine. Each listens 100 ports above the one before
 * (8089, 8189, …: 8090 is the Content Safety stand-in's) and enforces its own per-minute quota, as an Azure
 * deployment in its own region would; IMAGE_DEPLOYMENTS is set to all of them unless it is set already.
 */
export interface LocalImageDeployments {
  readonly ports: readonly number[];
  /** Each service's quota; undefined with one service, which (as before) enforces none. */
  readonly requestsPerMinute?: number;
  /** The IMAGE_DEPLOYMENTS value to use, when npm start makes it. */
  readonly setting?: string;
}

export const maxLocalImageDeployments = 4;

export function localImageDeployments(env: NodeJS.ProcessEnv, firstPort: number): LocalImageDeployments {
  const text = env['LOCAL_IMAGE_DEPLOYMENTS'] ?? '1';
  const count = Number(text);
  if (!Number.isInteger(count) || count < 1 || count > maxLocalImageDeployments) {
    throw new Error(`LOCAL_IMAGE_DEPLOYMENTS must be a whole number from 1 to ${maxLocalImageDeployments} (local image services in the pool), not ${text}.`);
  }
  if (count === 1) return { ports: [firstPort] };
  const ports = Array.from({ length: count }, (_, index) => firstPort + 100 * index);
  const requestsPerMinute = Number(env['IMAGE_REQUESTS_PER_MINUTE'] ?? 6);
  if (env['IMAGE_DEPLOYMENTS']) return { ports, requestsPerMinute };
  const deployment = env['AZURE_OPENAI_DEPLOYMENT'] ?? 'gpt-image-2';
  const setting = JSON.stringify(ports.map((port, index) => ({ name: `local-${index + 1}`, endpoint: `http://127.0.0.1:${port}`, deployment, requestsPerMinute })));
  return { ports, requestsPerMinute, setting };
}
