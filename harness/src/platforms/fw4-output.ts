/** The warning firewall4 prints when `flags offload` is refused (fw4.uc, warn()). */
export const FALLBACK_TEXT = 'Hardware flow offloading unavailable, falling back to software offloading';

export interface Fw4Output {
  /** The warning as printed (either form), or null. */
  warning: string | null;
  form: 'plain' | 'tty' | null;
  /** nft's "Error: ..." lines (a ruleset the kernel rejected), with their location. */
  nftErrors: string[];
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * fw4's stderr: "[!] <text>" when stderr is not a terminal, ESC[33m<text>ESC[m on a
 * terminal (then CR LF from the terminal), nothing in quiet mode.
 */
export function parseFw4Stderr(stderr: string): Fw4Output {
  let warning: string | null = null;
  let form: Fw4Output['form'] = null;
  const nftErrors: string[] = [];
  for (const raw of stderr.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.includes(FALLBACK_TEXT) && warning === null) {
      warning = line;
      form = line.includes('\x1b[') ? 'tty' : 'plain';
    }
    const plain = line.replace(ANSI, '');
    if (/(^|: )Error: /.test(plain)) nftErrors.push(plain.trim());
  }
  return { warning, form, nftErrors };
}
