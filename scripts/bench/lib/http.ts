import { randomBytes } from "node:crypto";
import http from "node:http";

/** A file part of a multipart body. */
export interface MultipartFile {
  field: string;
  name: string;
  type: string;
  bytes: Uint8Array;
}

export interface Reply {
  status: number;
  text: string;
  headers: http.IncomingHttpHeaders;
}

/**
 * A lean HTTP/1.1 client over one keep-alive agent: the benchmark shares two cores with the node it measures, so it
 * builds its multipart bodies itself rather than pay for fetch's streams and FormData on every request.
 */
export function createHttpClient(baseUrl: string, apiKey?: string, maxSockets = 64) {
  const base = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const auth: Record<string, string> = apiKey ? { authorization: `Bearer ${apiKey}` } : {};

  function request(method: string, path: string, body?: Buffer, headers: Record<string, string> = {}): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: base.hostname,
          port: base.port,
          method,
          path,
          agent,
          headers: { ...auth, ...headers, ...(body ? { "content-length": String(body.length) } : {}) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 0,
              text: Buffer.concat(chunks).toString("utf8"),
              headers: res.headers,
            }),
          );
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  }

  /** GETs JSON; throws with the status and body unless the answer is 2xx. */
  async function getJson<T>(path: string): Promise<T> {
    const reply = await request("GET", path);
    if (reply.status < 200 || reply.status > 299) throw new Error(`GET ${path}: ${reply.status} ${reply.text}`);
    return JSON.parse(reply.text) as T;
  }

  /** POSTs JSON; throws with the status and body unless the answer is 2xx. */
  async function postJson<T>(path: string, body: unknown): Promise<T> {
    const reply = await request("POST", path, Buffer.from(JSON.stringify(body)), {
      "content-type": "application/json",
    });
    if (reply.status < 200 || reply.status > 299) throw new Error(`POST ${path}: ${reply.status} ${reply.text}`);
    return JSON.parse(reply.text) as T;
  }

  /** POSTs multipart/form-data with text fields and one file or several; answers whatever the node answered. */
  function postMultipart(
    path: string,
    fields: Record<string, string>,
    files: MultipartFile | MultipartFile[],
    headers: Record<string, string> = {},
  ): Promise<Reply> {
    const boundary = `----qfm-bench-${randomBytes(12).toString("hex")}`;
    const parts: Buffer[] = [];
    for (const [name, value] of Object.entries(fields)) {
      parts.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
    }
    for (const file of Array.isArray(files) ? files : [files]) {
      parts.push(
        Buffer.from(
          `--${boundary}\r\ncontent-disposition: form-data; name="${file.field}"; filename="${file.name}"\r\n` +
            `content-type: ${file.type}\r\n\r\n`,
        ),
        Buffer.from(file.bytes),
        Buffer.from("\r\n"),
      );
    }
    parts.push(Buffer.from(`--${boundary}--\r\n`));
    return request("POST", path, Buffer.concat(parts), {
      ...headers,
      "content-type": `multipart/form-data; boundary=${boundary}`,
    });
  }

  /** POSTs multipart/form-data with text fields and one file or several; throws unless the answer is 2xx. */
  async function upload<T>(
    path: string,
    fields: Record<string, string>,
    files: MultipartFile | MultipartFile[],
  ): Promise<T> {
    const reply = await postMultipart(path, fields, files);
    if (reply.status < 200 || reply.status > 299) throw new Error(`POST ${path}: ${reply.status} ${reply.text}`);
    return JSON.parse(reply.text) as T;
  }

  return { request, getJson, postJson, postMultipart, upload, close: () => agent.destroy() };
}

export type HttpClient = ReturnType<typeof createHttpClient>;
