/** /etc/openwrt_release: shell assignments such as DISTRIB_RELEASE='24.10.0'. */
export interface OpenWrtRelease {
  id: string;
  release: string;
  revision: string;
  target: string;
  arch: string;
  description: string;
}

export function parseOpenWrtRelease(text: string): OpenWrtRelease | null {
  const v: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*(DISTRIB_[A-Z_]+)=(?:'([^']*)'|"([^"]*)"|(\S*))\s*$/.exec(line);
    if (m) v[m[1]!] = m[2] ?? m[3] ?? m[4] ?? '';
  }
  if (!v.DISTRIB_RELEASE && !v.DISTRIB_ID) return null;
  return {
    id: v.DISTRIB_ID ?? '',
    release: v.DISTRIB_RELEASE ?? '',
    revision: v.DISTRIB_REVISION ?? '',
    target: v.DISTRIB_TARGET ?? '',
    arch: v.DISTRIB_ARCH ?? '',
    description: v.DISTRIB_DESCRIPTION ?? '',
  };
}
