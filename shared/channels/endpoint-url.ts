/** Which webhook URLs may be called where: https anywhere, http to this machine in the local engine only. */

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]', '::1']);

/** 127.0.0.0/8, ::1 or localhost: a request that cannot leave the machine. */
export function isLoopbackUrl(url: URL): boolean {
  const host = url.hostname.toLowerCase();
  if (LOOPBACK_HOSTS.has(host)) return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Why a URL may not be called, or undefined when it may. */
export function webhookUrlRefusal(url: URL, allowLoopbackHttp: boolean): string | undefined {
  if (url.username !== '' || url.password !== '') return 'the URL carries credentials';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && isLoopbackUrl(url)) {
    return allowLoopbackHttp ? undefined : 'http is allowed only to a loopback address in the local engine';
  }
  return `the URL must be https, not ${url.protocol.replace(/:$/, '')}`;
}
