// Arrival time and status of every request an in-process sandbox serves, taken from Node's HTTP
// server diagnostics channels, so the sandbox itself needs no hooks: what the provider saw, when.
import diagnosticsChannel from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface ServedRequest {
  /** performance.now() when the request arrived. */
  at: number;
  status: number;
  method: string;
  path: string;
}

export interface RequestRecorder {
  readonly events: ServedRequest[];
  /** Data requests (under the provider's API path, not the token endpoint or the control surface). */
  data(since?: number): ServedRequest[];
  stop(): void;
}

interface ServerMessage {
  request: IncomingMessage;
  response: ServerResponse;
  socket: Socket;
}

/** `dataPath`: where the provider's data requests live (WHOOP's /developer/ by default). */
export function recordRequests(sandboxUrl: string, dataPath = '/developer/'): RequestRecorder {
  const port = Number(new URL(sandboxUrl).port);
  const events: ServedRequest[] = [];
  const arrived = new WeakMap<IncomingMessage, number>();
  const onStart = (message: unknown) => {
    const { request, socket } = message as ServerMessage;
    if (socket.localPort === port) arrived.set(request, performance.now());
  };
  const onFinish = (message: unknown) => {
    const { request, response } = message as ServerMessage;
    const at = arrived.get(request);
    if (at === undefined) return;
    const path = (request.url ?? '').split('?')[0] ?? '';
    events.push({ at, status: response.statusCode, method: request.method ?? 'GET', path });
  };
  diagnosticsChannel.subscribe('http.server.request.start', onStart);
  diagnosticsChannel.subscribe('http.server.response.finish', onFinish);
  return {
    events,
    data(since = Number.NEGATIVE_INFINITY) {
      return events.filter((e) => e.at >= since && e.path.startsWith(dataPath));
    },
    stop() {
      diagnosticsChannel.unsubscribe('http.server.request.start', onStart);
      diagnosticsChannel.unsubscribe('http.server.response.finish', onFinish);
    },
  };
}
