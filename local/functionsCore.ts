import Module from 'node:module';

/**
 * The module `@azure/functions-core` that the Azure Functions Node.js worker gives to `@azure/functions`.
 * Providing it is what makes `app.http(...)` and `app.storageQueue(...)` register for real instead of in
 * "test mode": every registration arrives here with its normalised binding metadata, so the local host
 * runs exactly the functions Azure would, from the same code, with no second list of routes.
 * Only the parts of the worker's contract the library uses are implemented.
 */

export type LogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical' | 'none';

export interface BindingInfo {
  readonly type?: string | null;
  readonly direction?: 'in' | 'out' | 'inout' | null;
  readonly [property: string]: unknown;
}

export interface FunctionMetadata {
  readonly name: string;
  readonly bindings: Readonly<Record<string, BindingInfo>>;
}

export type FunctionCallback = (...args: unknown[]) => unknown;

export interface TypedData {
  string?: string | null;
  json?: string | null;
  bytes?: Uint8Array | null;
  http?: HttpData | null;
}

export interface HttpData {
  method?: string | null;
  url?: string | null;
  headers?: Record<string, string> | null;
  body?: TypedData | null;
  params?: Record<string, string> | null;
  query?: Record<string, string> | null;
  statusCode?: string | null;
}

export interface InvocationRequest {
  invocationId?: string | null;
  functionId?: string | null;
  inputData?: { name?: string | null; data?: TypedData | null }[] | null;
  triggerMetadata?: Record<string, TypedData> | null;
}

export interface InvocationResponse {
  invocationId?: string | null;
  outputData?: { name?: string | null; data?: TypedData | null }[] | null;
  returnValue?: TypedData | null;
}

export interface CoreInvocationContext {
  invocationId: string;
  request: InvocationRequest;
  metadata: FunctionMetadata;
  state?: 'preInvocationHooks' | 'postInvocationHooks' | 'invocation';
  log(level: LogLevel, category: 'user' | 'system' | 'customMetric', message: string): void;
}

export interface InvocationModel {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], callback: FunctionCallback): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<InvocationResponse>;
}

export interface ProgrammingModel {
  readonly name: string;
  readonly version: string;
  getInvocationModel(coreContext: CoreInvocationContext): InvocationModel;
}

export type HookName = 'preInvocation' | 'postInvocation' | 'appStart' | 'appTerminate';
export type HookCallback = (context: Record<string, unknown>) => void | Promise<void>;

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
  readonly hooks: Record<HookName, Set<HookCallback>>;
  programmingModel(): ProgrammingModel;
  log(level: LogLevel, message: string): void;
}

export function installFunctionsCore(log: (level: LogLevel, message: string) => void): FunctionsCoreRegistry {
  const functions = new Map<string, RegisteredFunction>();
  const hooks: Record<HookName, Set<HookCallback>> = {
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
    registerHook(name: HookName, callback: HookCallback): Disposable {
      const set = hooks[name];
      if (!set) throw new Error(`Unknown hook "${name}"`);
      set.add(callback);
      return new Disposable(() => set.delete(callback));
    },
    setProgrammingModel(programmingModel: ProgrammingModel): void {
      model = programmingModel;
    },
    getProgrammingModel(): ProgrammingModel | undefined {
      return model;
    },
    log(level: LogLevel, _category: string, message: string): void {
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
