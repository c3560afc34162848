/**
 * A request written by hand (a DynamoDB one among them), as a client other than the AWS SDK (or a hostile one) sends it. The
 * edge routes by the service in the SigV4 credential scope and checks no signature, so a made-up one does.
 */
import { request } from 'node:http';

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** Headers a DynamoDB request carries: a signature scoped to dynamodb, the operation, AWS's JSON type. */
export function dynamoHeaders(operation: string): Record<string, string> {
  return {
    authorization:
      'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x',
    'x-amz-date': '20260101T000000Z',
    'x-amz-target': `DynamoDB_20120810.${operation}`,
    'content-type': 'application/x-amz-json-1.0',
  };
}

/** POSTs `body` as the DynamoDB operation to `endpoint` and reads the whole answer. */
export function sendDynamoRequest(endpoint: string, operation: string, body: string): Promise<RawAnswer> {
  return rawRequest(endpoint, { method: 'POST', path: '/', headers: dynamoHeaders(operation), body });
}

/** A request as any HTTP client can send it, Host header included (fetch will not set one). */
export function rawRequest(
  endpoint: string,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<RawAnswer> {
  const { hostname, port } = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { host: hostname, port, method: options.method ?? 'GET', path: options.path, headers: options.headers },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () =>
          resolve({
            status: answer.statusCode ?? 0,
            headers: answer.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        answer.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}
