/** A board run: which board, how its shell was reached, and its cables given back. */
export interface BoardReport {
  name: string;
  file: string;
  shell: 'ssh' | 'console';
  /** Why SSH was not used, when the console was. */
  sshSkipped?: string;
  /** The board's SSH host key as seen (OpenSSH SHA256 fingerprint). */
  hostKey?: string;
  console?: string;
  cables: { lan: string; wan: string; mode: 'move' | 'macvlan' };
  /** The driver's own counters of the board's ports (ethtool -S), after the traffic. */
  portCounters?: Record<string, Record<string, number>>;
}
