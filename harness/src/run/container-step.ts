import { connectEngine, type Engine } from '../containers/engine.js';
import { importRootfs, type ImportedImage } from '../containers/image.js';
import { reapContainers } from '../containers/container-dut.js';
import { alive } from '../util/process.js';
import type { DutImage } from './dut-image.js';
import type { ContainerDut } from '../containers/container-dut.js';
import { probeFlowtables } from '../containers/flowtable-probe.js';
import type { ScenarioReport } from '../report/types.js';

/**
 * Before any container scenario: the engine (started when none runs), containers of killed
 * runs removed, each root filesystem imported once. A failure of any of these becomes the
 * one-line reason of the scenarios it concerns. cleanup() removes the images this run
 * imported and stops the engine this run started.
 */
export async function prepareContainers(images: DutImage[], runId: string, progress: (t: string) => void): Promise<{ cleanup: () => Promise<void> }> {
  const wanted = images.filter((d) => d.kind === 'container');
  if (!wanted.length) return { cleanup: async () => {} };
  const fail = (reason: string, match: (d: Extract<DutImage, { kind: 'container' }>) => boolean) => {
    for (const [i, d] of images.entries()) if (d.kind === 'container' && match(d)) images[i] = { kind: 'error', reason };
  };
  let engine: Engine;
  try {
    engine = await connectEngine(progress);
  } catch (e) {
    fail((e as Error).message, () => true);
    return { cleanup: async () => {} };
  }
  const imported: ImportedImage[] = [];
  const cleanup = async () => {
    for (const im of imported.filter((x) => x.imported)) await engine.docker.getImage(im.ref).remove({ force: true }).catch(() => undefined);
    await engine.stop();
  };
  try {
    const reaped = await reapContainers(engine.docker, alive);
    if (reaped.length) progress(`removed ${reaped.length} container(s) of killed runs: ${reaped.join(', ')}`);
    const byRootfs = new Map<string, Promise<ImportedImage | Error>>();
    for (const d of wanted) {
      if (d.kind !== 'container' || byRootfs.has(d.rootfs)) continue;
      progress(`importing ${d.rootfs} into the Docker engine (${engine.where})`);
      byRootfs.set(d.rootfs, importRootfs(engine.docker, d.rootfs, runId).then((im) => (imported.push(im), im), (e: Error) => e));
    }
    for (const [rootfs, p] of byRootfs) {
      const r = await p;
      if (r instanceof Error) fail(r.message, (d) => d.rootfs === rootfs);
      else for (const d of images) if (d.kind === 'container' && d.rootfs === rootfs) Object.assign(d, { image: r.ref, engine: { docker: engine.docker, where: engine.where } });
    }
  } catch (e) {
    fail(`the Docker engine at ${engine.where}: ${(e as Error).message}`, () => true);
  }
  return { cleanup };
}

/**
 * What a container DUT's kernel (the host's) can do for offloading, in the report: the
 * flowtable probe's verdict and error, and missing modules named as the host's, with the
 * host-side command (a container cannot load modules).
 */
export async function describeContainerKernel(dut: ContainerDut, report: ScenarioReport): Promise<void> {
  const flowtables = await probeFlowtables(dut.shell);
  report.container = { ...dut.container, flowtables };
  const m = report.offload.missing;
  if (m) {
    report.offload.missing = {
      modules: m.modules,
      package: `the host's kernel ${dut.container.hostKernel} (a container shares it and cannot load modules)`,
      install: `on the host: modprobe ${m.modules.join(' ')}`,
    };
  }
  if (!flowtables.supported && !report.offload.kernelError) report.offload.kernelError = flowtables.error ?? null;
}
