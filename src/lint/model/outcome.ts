/** What a data-plane model did with a request. */
export interface Outcome {
  /** The HTTP status the client sees (the backend's is 200). */
  readonly status: number;
  /** The backend the request reached (`namespace/service:port`), if it reached one. */
  readonly backend?: string;
  /** The path the backend received, when it reached one. */
  readonly path?: string;
  /** The request headers the backend received (lowercase names). */
  readonly headers?: { readonly [name: string]: string };
  /** Why the model answered as it did (for failure messages). */
  readonly why: string;
}

/** An answer from the data plane itself, not from a backend. */
export function answered(status: number, why: string): Outcome {
  return { status, why };
}

/** Lowercased header names. */
export function lowerHeaders(headers: { readonly [name: string]: string }): { [name: string]: string } {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}
