import { connectEngine, type Engine } from '../containers/engine.js';
import { importRootfs, isOpenWrtRootfs, type ImportedImage } from '../containers/image.js';
import { reapContainers } from '../containers/container-dut.js';
import { alive } from '../util/process.js';
import type { ContainerImage, DutImage } from './dut-image.js';
import type { ContainerDut } from '../containers/container-dut.js';
import { probeFlowtables } from '../containers/flowtable-probe.js';
import type { ScenarioReport } from '../report/types.js';

/**
 * Before any scenario with containers (a container DUT, container hosts, or both): the engine
 * (started when none runs), containers of killed runs removed, each root filesystem imported
 * once. A failure of any of these becomes the one-line reason of the scenarios it concerns.
 * cleanup() removes the images this run imported and stops the engine this run started.
 */
export async function prepareContainers(
  images: DutImage[], hosts: (ContainerImage | { error: string } | undefined)[], runId: string, progress: (t: string) => void,
): Promise<{ cleanup: () => Promise<void> }> {
  for (const [i, h] of hosts.entries()) if (h && 'error' in h && images[i]!.kind !== 'error') images[i] = { kind: 'error', reason: h.error };
  // Every container image a scenario still needs, with the scenario it belongs to.
  const wanted: { index: number; target: ContainerImage }[] = [];
  for (const [i, d] of images.entries()) {
    if (d.kind === 'error') continue;
    if (d.kind === 'container') wanted.push({ index: i, target: d });
    const h = hosts[i];
    if (h && !('error' in h)) wanted.push({ index: i, target: h });
  }
  if (!wanted.length) return { cleanup: async () => {} };
  const fail = (reason: string, match: (t: ContainerImage) => boolean) => {
    for (const w of wanted) if (match(w.target) && images[w.index]!.kind !== 'error') images[w.index] = { kind: 'error', reason };
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
    for (const { target } of wanted) {
      if (byRootfs.has(target.rootfs)) continue;
      progress(`importing ${target.rootfs} into the Docker engine (${engine.where})`);
      byRootfs.set(target.rootfs, importRootfs(engine.docker, target.rootfs, runId).then((im) => (imported.push(im), im), (e: Error) => e));
    }
    for (const [rootfs, p] of byRootfs) {
      const r = await p;
      if (r instanceof Error) fail(r.message, (t) => t.rootfs === rootfs);
      else {
        const openwrt = await isOpenWrtRootfs(rootfs);
        for (const { target } of wanted) if (target.rootfs === rootfs) Object.assign(target, { image: r.ref, openwrt, engine: { docker: engine.docker, where: engine.where } });
      }
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
    const install = `on the host: modprobe ${m.modules.join(' ')}`;
    report.offload.missing = {
      modules: m.modules,
      package: `the host's kernel ${dut.container.hostKernel} (a container shares it and cannot load modules)`,
      install,
      hint: `${m.modules.join(', ')} absent from the host's kernel ${dut.container.hostKernel}, which a container shares and cannot load modules into: ${install}`,
    };
  }
  if (!flowtables.supported && !report.offload.kernelError) report.offload.kernelError = flowtables.error ?? null;
}
