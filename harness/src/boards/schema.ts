import { z } from 'zod';

/**
 * A secret is named, not written: the environment variable or file that holds it, so a
 * board file can be committed. A literal string is accepted for throwaway labs.
 */
export const secretSchema = z.union([
  z.string().min(3, 'a secret shorter than 3 characters cannot be kept out of logs'),
  z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/) }),
  z.strictObject({ file: z.string().min(1) }),
]);
export type SecretRef = z.infer<typeof secretSchema>;

const ifname = z.string().regex(/^[A-Za-z0-9._-]{1,15}$/, 'an interface name (at most 15 characters)');

export const boardSchema = z
  .strictObject({
    $schema: z.string().optional(),
    /** Names the board in locks and reports. */
    name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only'),
    description: z.string().optional(),
    /** The board's console: a local serial device, or a TCP serial server (ser2net, raw mode). */
    console: z
      .strictObject({
        serial: z.strictObject({ device: z.string().min(1), baud: z.number().int().positive().default(115200) }).optional(),
        tcp: z.strictObject({ host: z.string().min(1), port: z.number().int().min(1).max(65535) }).optional(),
        /** When the console asks for a login (OpenWrt with a root password): who to log in as. */
        login: z.strictObject({ user: z.string().min(1).default('root'), password: secretSchema.optional() }).optional(),
      })
      .refine((c) => Boolean(c.serial) !== Boolean(c.tcp), { message: 'give exactly one of console.serial and console.tcp' })
      .optional(),
    ssh: z
      .strictObject({
        host: z.string().min(1),
        port: z.number().int().min(1).max(65535).default(22),
        user: z.string().min(1).default('root'),
        password: secretSchema.optional(),
        keyFile: z.string().min(1).optional(),
        passphrase: secretSchema.optional(),
        /** The board's host key, pinned: an OpenSSH fingerprint ("SHA256:..."). Without it any key is taken and recorded. */
        hostKey: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'an OpenSSH SHA256 fingerprint, as ssh-keygen -l prints it').optional(),
        /** Where the connection starts: the lab's LAN host (over the LAN cable, as to 192.168.1.1), or this machine's own network. */
        from: z.enum(['lan', 'host']).default('lan'),
      })
      .optional(),
    /** Shell commands that switch the board's power (a relay, a PDU), run on this machine; or manual: it is on. */
    power: z
      .union([
        z.literal('manual'),
        z.strictObject({ on: z.string().min(1), off: z.string().min(1), timeoutMs: z.number().int().positive().default(60_000) }),
      ])
      .default('manual'),
    /** This machine's interfaces cabled to the board's ports. */
    cables: z.strictObject({
      lan: ifname,
      wan: ifname,
      /** move: the interfaces themselves go into the lab for the run; macvlan: a macvlan on each does, the interface stays. */
      mode: z.enum(['move', 'macvlan']).default('move'),
    }),
    /** Flash this image once at the start of the run (over SSH), then check the board runs it. `hil run --flash` overrides image. */
    flash: z
      .strictObject({
        image: z.string().min(1).optional(),
        /** {file} is the image's path on the board. */
        command: z.string().min(1).default('sysupgrade -n {file}'),
        /** What proves the new firmware runs: a command and a text its output must contain. Without it, coming back is enough. */
        check: z.strictObject({ command: z.string().min(1).default('cat /etc/openwrt_release'), expect: z.string().min(1) }).optional(),
        timeoutMs: z.number().int().positive().default(300_000),
      })
      .optional(),
    timeouts: z
      .strictObject({
        bootMs: z.number().int().positive().default(180_000),
        commandMs: z.number().int().positive().default(30_000),
      })
      .default({ bootMs: 180_000, commandMs: 30_000 }),
  })
  .refine((b) => b.console || b.ssh, { message: 'a board needs a console or ssh (or both)' });

export type BoardConfig = z.infer<typeof boardSchema>;

/** A board file as loaded: its secrets read and registered for redaction. */
export interface Board extends BoardConfig {
  file: string;
  secrets: { consolePassword?: string; sshPassword?: string; passphrase?: string };
}
