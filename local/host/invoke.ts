import { randomUUID } from 'node:crypto';
import type {
  CoreInvocationContext,
  FunctionsCoreRegistry,
  PostInvocationContext,
  PreInvocationContext,
  RegisteredFunction,
  RpcInvocationRequest,
  RpcInvocationResponse,
} from './functionsCore';
import { writeLog } from './log';

/**
 * The worker's side of one invocation, which every trigger uses: a trigger turns its event into an
 * invocation request (input data and trigger metadata, as the host sends them to the worker) and gets back
 * the invocation response, or the error the function threw.
 */
export type Invoke = (fn: RegisteredFunction, request: RpcInvocationRequest) => Promise<RpcInvocationResponse>;

export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms (host.json functionTimeout)`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs invocations the way the Node.js worker does: arguments, hooks, the function, the response. */
export function createInvoke(registry: FunctionsCoreRegistry, functionTimeoutInMs: number): Invoke {
  return async (fn, request) => {
    const invocationId = randomUUID();
    const source = `${fn.metadata.name} (${invocationId.slice(0, 8)})`;
    const coreContext: CoreInvocationContext = {
      invocationId,
      request: { ...request, invocationId },
      metadata: fn.metadata,
      log: (level, _category, message) => writeLog(source, level, message),
    };
    const model = await registry.programmingModel().getInvocationModel(coreContext);
    const { context, inputs } = await model.getArguments();
    const hookData = {};
    const pre: PreInvocationContext = { hookData, appHookData: {}, invocationContext: context, inputs, functionCallback: fn.callback };
    coreContext.state = 'preInvocationHooks';
    for (const hook of registry.hooks.preInvocation) await hook(pre);
    coreContext.state = 'invocation';
    const post: PostInvocationContext = { hookData, appHookData: {}, invocationContext: context, inputs: pre.inputs, result: undefined, error: undefined };
    try {
      post.result = await withTimeout(model.invokeFunction(context, pre.inputs, pre.functionCallback), functionTimeoutInMs, fn.metadata.name);
    } catch (error) {
      post.error = error;
    }
    coreContext.state = 'postInvocationHooks';
    for (const hook of registry.hooks.postInvocation) await hook(post);
    // Rethrow whatever the function threw, as the worker reports it to the host.
    // eslint-disable-next-line @typescript-eslint/only-throw-error
    if (post.error !== undefined) throw post.error;
    return model.getResponse(context, post.result);
  };
}
