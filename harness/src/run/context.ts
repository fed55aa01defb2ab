import type { LimitFunction } from 'p-limit';
import type { LabNames } from '../lab/names.js';
import type { AccelChoice } from '../targets/accel.js';
import type { ConsoleDut } from '../targets/types.js';
import type { KernelFlavour, KernelSeries, Scenario } from '../scenario/schema.js';
import type { DutBooter } from './dut-boot.js';
import type { ContainerImage, DutImage } from './dut-image.js';

/** What one scenario's run is given: its file, its DUT image, the run's shared parts, and whom to tell. */
export interface ScenarioContext {
  scenario: Scenario;
  index: number;
  runToken: string;
  outDir: string;
  dutImage: Exclude<DutImage, { kind: 'error' }>;
  /** The LAN and WAN hosts' container image (lab.hosts.container), imported; absent: bare namespaces. */
  hostsImage?: ContainerImage;
  accel: AccelChoice;
  /** `--kernel-flavour`: wins over the scenario's dut.kernelFlavour. */
  kernelFlavour?: KernelFlavour;
  /** `--kernel`: wins over the scenario's dut.kernel. */
  kernel?: KernelSeries;
  /** `--fixed-duration`: every stream runs its full duration, whatever the evidence. */
  fixedDuration?: boolean;
  booter: DutBooter;
  signal: AbortSignal;
  onWarning: (text: string) => void;
  onStep: (step: string, detail?: string) => void;
  /** `hil shell`: once configured, the lab is the user's until this resolves; no traffic runs. */
  interactive?: (lab: LiveLab) => Promise<void>;
  /** Bounds how many labs run their traffic and measurement at once (`--measure-jobs`). */
  measureGate?: LimitFunction;
  /** `--keep-on-failure`: a failed or errored lab is handed over here, its teardown with it. */
  keep?: (held: LiveLab & { teardown: () => Promise<string[]> }) => void;
}

export interface LiveLab {
  scenario: string;
  names: LabNames;
  dut: ConsoleDut;
  /** Container lab hosts' pids (for `hil exec`). */
  hostPids?: Record<'lan' | 'wan', number>;
}
