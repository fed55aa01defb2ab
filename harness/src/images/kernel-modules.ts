/** The kernel's module names are spelled with '-' or '_' interchangeably (kmod treats them alike). */
export const moduleKey = (name: string) => name.replace(/-/g, '_');

export interface ModuleIndex {
  /** module key -> path relative to /lib/modules/KVER and its dependencies (keys). */
  modules: Map<string, { path: string; deps: string[] }>;
  /** Keys of modules built into the kernel. */
  builtin: Set<string>;
}

const keyOfPath = (p: string) => moduleKey(p.replace(/^.*\//, '').replace(/\.ko(\.[a-z]+)?$/, ''));

/** depmod's `modules.dep` ("kernel/net/x.ko: kernel/net/y.ko ...") and `modules.builtin` (one path per line). */
export function parseModuleIndex(dep: string, builtin: string): ModuleIndex {
  const modules = new Map<string, { path: string; deps: string[] }>();
  for (const line of dep.split('\n')) {
    const m = /^([^:]+):\s*(.*)$/.exec(line.trim());
    if (!m) continue;
    modules.set(keyOfPath(m[1]!), { path: m[1]!, deps: m[2]!.split(/\s+/).filter(Boolean).map(keyOfPath) });
  }
  const b = new Set(builtin.split('\n').map((l) => l.trim()).filter(Boolean).map(keyOfPath));
  return { modules, builtin: b };
}

export interface ModuleSelection {
  /** Module files to ship, dependencies first (paths relative to /lib/modules/KVER). */
  files: string[];
  /** Names this kernel has built in: nothing to ship, and nothing missing. */
  builtin: string[];
  /** Names this kernel has neither as a module nor built in. */
  absent: string[];
}

/** The modules named and everything they depend on in this kernel, in load order. */
export function selectModules(index: ModuleIndex, names: Iterable<string>): ModuleSelection {
  const files: string[] = [];
  const seen = new Set<string>();
  const builtin = new Set<string>();
  const absent = new Set<string>();
  const visit = (key: string) => {
    if (seen.has(key)) return;
    seen.add(key);
    const m = index.modules.get(key)!;
    for (const d of m.deps) if (index.modules.has(d)) visit(d);
    files.push(m.path);
  };
  for (const name of names) {
    const key = moduleKey(name);
    if (index.modules.has(key)) visit(key);
    else if (index.builtin.has(key)) builtin.add(name);
    else absent.add(name);
  }
  return { files, builtin: [...builtin].sort(), absent: [...absent].sort() };
}
