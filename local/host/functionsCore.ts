import Module from 'node:module';

/**
 * The module `@azure/functions-core` that the Azure Functions Node.js worker gives to `@azure/functions`.
 * Providing it is what makes `app.http(...)` and `app.storageQueue(...)` register for real instead of in
 * "test mode": every registration arrives here with its normalised binding metadata, so the local host
 * runs exactly the functions Azure would, from the same code, with no second list of routes.
 * Only the parts of the worker's contract the library uses are implemented.
 *
 * The types below keep the names and shapes of the library's own declaration of that module
 * (`types-core/index.d.ts` in Azure/azure-functions-nodejs-library). The npm package does not ship that
 * file (its `files` are dist/, src/ and types/), so it cannot be imported; this is the subset the local
 * host uses, with `unknown` where the declaration says `any`.
 */

export type RpcLogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical' | 'none';
export type RpcLogCategory = 'user' | 'system' | 'customMetric';

/**
 * One binding of a registered function. The library sends more than the declared type/direction: the
 * binding's own properties (`route`, `methods`, `queueName`, `connection`, `schedule`, …), hence the index.
 */
export interface RpcBindingInfo {
  readonly type?: string | null;
  readonly direction?: 'in' | 'out' | 'inout' | null;
  readonly [property: string]: unknown;
}

/** What `registerFunction` receives: the name and the bindings by binding name. */
export interface FunctionMetadata {
  readonly name: string;
  readonly bindings: Readonly<Record<string, RpcBindingInfo>>;
}

export type FunctionCallback = (...args: unknown[]) => unknown;

export interface RpcTypedData {
  string?: string | null;
  json?: string | null;
  bytes?: Uint8Array | null;
  http?: RpcHttpData | null;
}

export interface RpcHttpData {
  method?: string | null;
  url?: string | null;
  headers?: Record<string, string> | null;
  body?: RpcTypedData | null;
  params?: Record<string, string> | null;
  query?: Record<string, string> | null;
  statusCode?: string | null;
}

export interface RpcParameterBinding {
  name?: string | null;
  data?: RpcTypedData | null;
}

export interface RpcInvocationRequest {
  invocationId?: string | null;
  functionId?: string | null;
  inputData?: RpcParameterBinding[] | null;
  triggerMetadata?: Record<string, RpcTypedData> | null;
}

export interface RpcInvocationResponse {
  invocationId?: string | null;
  outputData?: RpcParameterBinding[] | null;
  returnValue?: RpcTypedData | null;
}

export type InvocationState = 'preInvocationHooks' | 'postInvocationHooks' | 'invocation';

export interface CoreInvocationContext {
  invocationId: string;
  request: RpcInvocationRequest;
  metadata: FunctionMetadata;
  state?: InvocationState;
  log(level: RpcLogLevel, category: RpcLogCategory, message: string): void;
}

export interface InvocationArguments {
  context: unknown;
  inputs: unknown[];
}

export interface InvocationModel {
  getArguments(): Promise<InvocationArguments>;
  invokeFunction(context: unknown, inputs: unknown[], callback: FunctionCallback): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<RpcInvocationResponse>;
}

export interface ProgrammingModel {
  readonly name: string;
  readonly version: string;
  getInvocationModel(coreContext: CoreInvocationContext): InvocationModel | Promise<InvocationModel>;
}

export type HookData = Record<string, unknown>;

export interface HookContext {
  readonly hookData: HookData;
  readonly appHookData: HookData;
}

export interface PreInvocationContext extends HookContext {
  readonly invocationContext: unknown;
  inputs: unknown[];
  functionCallback: FunctionCallback;
}

export interface PostInvocationContext extends HookContext {
  readonly invocationContext: unknown;
  inputs: unknown[];
  result: unknown;
  error: unknown;
}

export interface AppStartContext extends HookContext {
  functionAppDirectory: string;
}

export type AppTerminateContext = HookContext;

/** The context each hook receives, by hook name. */
export interface HookContexts {
  preInvocation: PreInvocationContext;
  postInvocation: PostInvocationContext;
  appStart: AppStartContext;
  appTerminate: AppTerminateContext;
}

export type HookName = keyof HookContexts;
export type HookCallback<Context extends HookContext = HookContext> = (context: Context) => unknown;

export interface RegisteredFunction {
  readonly metadata: FunctionMetadata;
  readonly callback: FunctionCallback;
}

class Disposable {
  static from(...items: { dispose: () => unknown }[]): Disposable {
    return new Disposable(() => items.forEach((item) => item.dispose()));
  }
  constructor(private readonly callOnDispose: () => unknown) {}
  dispose(): unknown {
    return this.callOnDispose();
  }
}

/** What the host reads back: the registered functions, the programming model and the hooks. */
export interface FunctionsCoreRegistry {
  readonly functions: Map<string, RegisteredFunction>;
  readonly hooks: { readonly [Name in HookName]: Set<HookCallback<HookContexts[Name]>> };
  programmingModel(): ProgrammingModel;
  log(level: RpcLogLevel, message: string): void;
}

function isHookName(name: string, hooks: FunctionsCoreRegistry['hooks']): name is HookName {
  return Object.hasOwn(hooks, name);
}

export function installFunctionsCore(log: (level: RpcLogLevel, message: string) => void): FunctionsCoreRegistry {
  const functions = new Map<string, RegisteredFunction>();
  const hooks: FunctionsCoreRegistry['hooks'] = {
    preInvocation: new Set(),
    postInvocation: new Set(),
    appStart: new Set(),
    appTerminate: new Set(),
  };
  let model: ProgrammingModel | undefined;

  const core = {
    version: '3.10.1',
    hostVersion: '4.0.0-local',
    Disposable,
    registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): Disposable {
      if (functions.has(metadata.name)) throw new Error(`A function named "${metadata.name}" is already registered.`);
      functions.set(metadata.name, { metadata, callback });
      return new Disposable(() => functions.delete(metadata.name));
    },
    // The name arrives as a plain string at run time, so the callback is typed for the base context,
    // which every hook's own context extends.
    registerHook(name: string, callback: HookCallback): Disposable {
      if (!isHookName(name, hooks)) throw new Error(`Unknown hook "${name}"`);
      const set = hooks[name];
      set.add(callback);
      return new Disposable(() => set.delete(callback));
    },
    setProgrammingModel(programmingModel: ProgrammingModel): void {
      model = programmingModel;
    },
    getProgrammingModel(): ProgrammingModel | undefined {
      return model;
    },
    log(level: RpcLogLevel, _category: RpcLogCategory, message: string): void {
      log(level, message);
    },
  };

  // Serve the module by name before @azure/functions first asks for it (it caches the answer).
  // Module._load is Node's internal CommonJS loader; @azure/functions is CommonJS and requires the name.
  const originalLoad = Reflect.get(Module, '_load') as (this: unknown, request: string, ...rest: unknown[]) => unknown;
  Reflect.set(Module, '_load', function load(this: unknown, request: string, ...rest: unknown[]) {
    if (request === '@azure/functions-core') return core;
    return originalLoad.call(this, request, ...rest);
  });

  return {
    functions,
    hooks,
    programmingModel() {
      if (!model) throw new Error('No programming model was set: did the entry point import @azure/functions?');
      return model;
    },
    log,
  };
}
