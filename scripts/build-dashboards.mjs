#!/usr/bin/env node
// Builds the sample dashboards from their bpftrace scripts: dashboards/<name>/*.bt →
// src/dashboards/<name>.json (under src/ because the build copies src/**/*.json into dist/,
// where plugin.json `includes` and provisioning/dashboards/bpflive.yml find them).
//
//   node scripts/build-dashboards.mjs           write the JSON
//   node scripts/build-dashboards.mjs --check   exit 1 if the checked-in JSON is not what the
//                                               .bt files give (or plugin.json `includes`
//                                               misses a dashboard); whether each script fits
//                                               pmproxy's URL is tests/unit/dashboardBudget.test.ts
//
// Each .bt file is one tool. Its leading `//` comment block holds a header the generator reads
// and removes from the panel's code; every other line, comments and the PMDA's own directives
// (`// include:`, `// table-retain-lines:`, `// custom-output-block`) included, is the code.
//
//   // panel: heatmap | timeseries | table | logs | flamegraph | barchart   (starts a panel;
//                                    a file may describe several panels of the same script)
//   // title: …                      // description: … (may repeat; joined)
//   // row: …                        a collapsible row; panels of one row follow each other
//   // grid: WxH                     size in grid units; panels flow left to right, 24 wide
//   // format: …                     the query's format; default from the panel type
//   // map: @var                     may repeat: one query per map (tables: merged); `variable:`,
//                                    its old name, is still read
//   // unit: …   // topN: N   // legend: $key
//   // column: <field> name=<shown name> unit=<unit> map=<syscalls-x86_64|tcp-states|1:a,2:b>
//   // sort: <shown column name> [asc]
//   // heatmap: min=N max=N          colour scale bounds
//   // flamegraph: keyPartsAsRoots hideIdle hideUnresolved minSamples=N
//   // query: runningScripts         not a script: the panel lists the host's running scripts
//                                    (the file then has no code)
//
// Files are taken in name order (10-runqlat.bt, 11-runqlen.bt …). No dependencies beyond
// Node and the project's prettier, which formats the JSON as `prettier --check` expects.
import fs from 'node:fs';
import path from 'node:path';
import * as prettier from 'prettier';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const PLUGIN_ID = 'bpflive-bpftrace-datasource';
const DATASOURCE = { type: PLUGIN_ID, uid: '${datasource}' };

const DASHBOARDS = [
  {
    dir: 'system-analysis',
    uid: 'bpflive-system-analysis',
    title: 'System analysis (bpftrace)',
    description:
      'Classic BCC/bpftrace tools written for tracepoints (no kprobes needed): scheduler, processes, system calls, block I/O and TCP, live from bpftrace through PCP.',
  },
  {
    dir: 'cpu-profiling',
    uid: 'bpflive-cpu-profiling',
    title: 'CPU profiling (bpftrace)',
    description:
      'On-CPU samples at 99 Hz: a per-CPU heatmap, and kernel and user flame graphs of the selected time range. Drag across the heatmap to zoom into a busy period.',
  },
];

const PANEL_TYPES = ['heatmap', 'timeseries', 'table', 'logs', 'flamegraph', 'barchart'];
const DEFAULT_FORMAT = {
  heatmap: 'heatmap',
  timeseries: 'timeseries',
  table: 'table',
  logs: 'logs',
  flamegraph: 'flamegraph',
  barchart: 'histogram',
};
const HEADER_KEYS = new Set([
  'panel',
  'title',
  'description',
  'row',
  'grid',
  'format',
  'map',
  'variable',
  'unit',
  'topN',
  'legend',
  'column',
  'sort',
  'heatmap',
  'flamegraph',
  'query',
]);
/** Query types other than a script (`// query: runningScripts`): the panel's code is empty. */
const QUERY_TYPES = ['runningScripts'];
const FLAMEGRAPH_FLAGS = ['keyPartsAsRoots', 'hideIdle', 'hideUnresolved'];

// x86_64 system call numbers (arch/x86/entry/syscalls/syscall_64.tbl): 0–334, then 424–469.
const X86_64_SYSCALLS = {
  0: `read write open close stat fstat lstat poll lseek mmap mprotect munmap brk rt_sigaction rt_sigprocmask
rt_sigreturn ioctl pread64 pwrite64 readv writev access pipe select sched_yield mremap msync mincore madvise
shmget shmat shmctl dup dup2 pause nanosleep getitimer alarm setitimer getpid sendfile socket connect accept
sendto recvfrom sendmsg recvmsg shutdown bind listen getsockname getpeername socketpair setsockopt getsockopt
clone fork vfork execve exit wait4 kill uname semget semop semctl shmdt msgget msgsnd msgrcv msgctl fcntl
flock fsync fdatasync truncate ftruncate getdents getcwd chdir fchdir rename mkdir rmdir creat link unlink
symlink readlink chmod fchmod chown fchown lchown umask gettimeofday getrlimit getrusage sysinfo times ptrace
getuid syslog getgid setuid setgid geteuid getegid setpgid getppid getpgrp setsid setreuid setregid getgroups
setgroups setresuid getresuid setresgid getresgid getpgid setfsuid setfsgid getsid capget capset
rt_sigpending rt_sigtimedwait rt_sigqueueinfo rt_sigsuspend sigaltstack utime mknod uselib personality ustat
statfs fstatfs sysfs getpriority setpriority sched_setparam sched_getparam sched_setscheduler
sched_getscheduler sched_get_priority_max sched_get_priority_min sched_rr_get_interval mlock munlock mlockall
munlockall vhangup modify_ldt pivot_root _sysctl prctl arch_prctl adjtimex setrlimit chroot sync acct
settimeofday mount umount2 swapon swapoff reboot sethostname setdomainname iopl ioperm create_module
init_module delete_module get_kernel_syms query_module quotactl nfsservctl getpmsg putpmsg afs_syscall
tuxcall security gettid readahead setxattr lsetxattr fsetxattr getxattr lgetxattr fgetxattr listxattr
llistxattr flistxattr removexattr lremovexattr fremovexattr tkill time futex sched_setaffinity
sched_getaffinity set_thread_area io_setup io_destroy io_getevents io_submit io_cancel get_thread_area
lookup_dcookie epoll_create epoll_ctl_old epoll_wait_old remap_file_pages getdents64 set_tid_address
restart_syscall semtimedop fadvise64 timer_create timer_settime timer_gettime timer_getoverrun timer_delete
clock_settime clock_gettime clock_getres clock_nanosleep exit_group epoll_wait epoll_ctl tgkill utimes
vserver mbind set_mempolicy get_mempolicy mq_open mq_unlink mq_timedsend mq_timedreceive mq_notify
mq_getsetattr kexec_load waitid add_key request_key keyctl ioprio_set ioprio_get inotify_init
inotify_add_watch inotify_rm_watch migrate_pages openat mkdirat mknodat fchownat futimesat newfstatat
unlinkat renameat linkat symlinkat readlinkat fchmodat faccessat pselect6 ppoll unshare set_robust_list
get_robust_list splice tee sync_file_range vmsplice move_pages utimensat epoll_pwait signalfd timerfd_create
eventfd fallocate timerfd_settime timerfd_gettime accept4 signalfd4 eventfd2 epoll_create1 dup3 pipe2
inotify_init1 preadv pwritev rt_tgsigqueueinfo perf_event_open recvmmsg fanotify_init fanotify_mark prlimit64
name_to_handle_at open_by_handle_at clock_adjtime syncfs sendmmsg setns getcpu process_vm_readv
process_vm_writev kcmp finit_module sched_setattr sched_getattr renameat2 seccomp getrandom memfd_create
kexec_file_load bpf execveat userfaultfd membarrier mlock2 copy_file_range preadv2 pwritev2 pkey_mprotect
pkey_alloc pkey_free statx io_pgetevents rseq`,
  424: `pidfd_send_signal io_uring_setup io_uring_enter io_uring_register open_tree move_mount fsopen fsconfig
fsmount fspick pidfd_open clone3 close_range openat2 pidfd_getfd faccessat2 process_madvise epoll_pwait2
mount_setattr quotactl_fd landlock_create_ruleset landlock_add_rule landlock_restrict_self memfd_secret
process_mrelease futex_waitv set_mempolicy_home_node cachestat fchmodat2 map_shadow_stack futex_wake futex_wait
futex_requeue statmount listmount lsm_get_self_attr lsm_set_self_attr lsm_list_modules mseal setxattrat
getxattrat listxattrat removexattrat open_tree_attr file_getattr file_setattr`,
};

const TCP_STATES = [
  'ESTABLISHED',
  'SYN_SENT',
  'SYN_RECV',
  'FIN_WAIT1',
  'FIN_WAIT2',
  'TIME_WAIT',
  'CLOSE',
  'CLOSE_WAIT',
  'LAST_ACK',
  'LISTEN',
  'CLOSING',
  'NEW_SYN_RECV',
];

/** Named value maps for `column: … map=<name>`: key text → shown text. */
const VALUE_MAPS = {
  'syscalls-x86_64': () => {
    const map = {};
    for (const [first, names] of Object.entries(X86_64_SYSCALLS)) {
      names.split(/\s+/).forEach((name, i) => (map[String(Number(first) + i)] = name));
    }
    return map;
  },
  'tcp-states': () => Object.fromEntries(TCP_STATES.map((name, i) => [String(i + 1), name])),
};

class HeaderError extends Error {}

/** Splits a .bt file into its panels' settings and the code every panel runs. */
export function parseScript(text, file) {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const panels = [];
  const kept = [];
  let inHeader = true;
  for (const line of lines) {
    const header = inHeader ? /^\/\/\s*([A-Za-z]+)\s*:\s?(.*)$/.exec(line) : null;
    if (inHeader && !line.startsWith('//')) {
      inHeader = false;
    }
    if (!header || !HEADER_KEYS.has(header[1])) {
      kept.push(line);
      continue;
    }
    const [, key, rawValue] = header;
    const value = rawValue.trim();
    if (key === 'panel') {
      if (!PANEL_TYPES.includes(value)) {
        throw new HeaderError(`${file}: unknown panel type "${value}" (one of ${PANEL_TYPES.join(', ')})`);
      }
      panels.push({ type: value, description: [], variables: [], columns: [] });
      continue;
    }
    const panel = panels[panels.length - 1];
    if (!panel) {
      throw new HeaderError(`${file}: "${key}:" before the first "panel:"`);
    }
    switch (key) {
      case 'description':
        panel.description.push(value);
        break;
      case 'map':
      case 'variable':
        panel.variables.push(value);
        break;
      case 'column':
        panel.columns.push(value);
        break;
      default:
        if (panel[key] !== undefined) {
          throw new HeaderError(`${file}: "${key}:" given twice for one panel`);
        }
        panel[key] = value;
    }
  }
  // The header's blank comment lines and the blank lines after it are not code.
  while (kept.length && /^(\/\/\s*)?$/.test(kept[0])) {
    kept.shift();
  }
  const code = kept.join('\n').replace(/\s+$/, '') + '\n';
  if (panels.length === 0) {
    throw new HeaderError(`${file}: no "// panel:" header`);
  }
  return { panels, code };
}

/** `key=value` and bare flags of a header value. */
function options(value, file, key) {
  const out = {};
  for (const word of value.split(/\s+/).filter(Boolean)) {
    const eq = word.indexOf('=');
    if (eq === 0) {
      throw new HeaderError(`${file}: bad "${key}:" option "${word}"`);
    }
    out[eq < 0 ? word : word.slice(0, eq)] = eq < 0 ? true : word.slice(eq + 1);
  }
  return out;
}

function numberOption(value, file, what) {
  const n = Number(value);
  if (!Number.isFinite(n)) {
    throw new HeaderError(`${file}: ${what} must be a number, got "${value}"`);
  }
  return n;
}

function valueMapping(spec, file) {
  let map;
  if (VALUE_MAPS[spec]) {
    map = VALUE_MAPS[spec]();
  } else {
    map = {};
    for (const pair of spec.split(',')) {
      const colon = pair.indexOf(':');
      if (colon <= 0) {
        throw new HeaderError(`${file}: map "${spec}" is neither ${Object.keys(VALUE_MAPS).join(', ')} nor k:v,…`);
      }
      map[pair.slice(0, colon)] = pair.slice(colon + 1);
    }
  }
  const entries = Object.entries(map);
  return [
    {
      type: 'value',
      options: Object.fromEntries(entries.map(([value, text]) => [value, { text }])),
    },
  ];
}

function fieldOverrides(panel, file) {
  return panel.columns.map((spec) => {
    const [field, ...rest] = spec.split(/\s+/);
    const opts = options(rest.join(' '), file, 'column');
    const properties = [];
    for (const [key, value] of Object.entries(opts)) {
      switch (key) {
        case 'name':
          properties.push({ id: 'displayName', value: String(value).replace(/_/g, ' ') });
          break;
        case 'unit':
          properties.push({ id: 'unit', value });
          break;
        case 'map':
          properties.push({ id: 'mappings', value: valueMapping(String(value), file) });
          break;
        default:
          throw new HeaderError(`${file}: unknown column option "${key}"`);
      }
    }
    return { matcher: { id: 'byName', options: field }, properties };
  });
}

function targets(panel, code, file) {
  if (panel.query !== undefined) {
    if (!QUERY_TYPES.includes(panel.query) || code.trim() !== '') {
      throw new HeaderError(`${file}: "query:" is one of ${QUERY_TYPES.join(', ')}, in a file without code`);
    }
    return [{ refId: 'A', version: 2, datasource: DATASOURCE, queryType: panel.query, code: '', hostspec: '$host' }];
  }
  const format = panel.format ?? DEFAULT_FORMAT[panel.type];
  // Every panel runs on the hosts picked in the dashboard's $host (one script per host).
  const base = { datasource: DATASOURCE, code, format, hostspec: '$host' };
  if (panel.unit) {
    base.unit = panel.unit;
  }
  if (panel.topN) {
    base.topN = numberOption(panel.topN, file, 'topN');
  }
  if (panel.legend) {
    base.legendFormat = panel.legend;
  }
  if (panel.flamegraph !== undefined) {
    const opts = options(panel.flamegraph, file, 'flamegraph');
    const flameGraph = {};
    for (const [key, value] of Object.entries(opts)) {
      if (FLAMEGRAPH_FLAGS.includes(key) && value === true) {
        flameGraph[key] = true;
      } else if (key === 'minSamples') {
        flameGraph.minSamples = numberOption(value, file, 'minSamples');
      } else {
        throw new HeaderError(`${file}: unknown flamegraph option "${key}"`);
      }
    }
    base.flameGraph = flameGraph;
  }
  const variables = panel.variables.length ? panel.variables : [undefined];
  if (variables.length > 1 && panel.type !== 'table') {
    throw new HeaderError(`${file}: several variables make one table; a ${panel.type} panel takes one`);
  }
  // The query model of src/types.ts (QUERY_MODEL_VERSION 2: the map is `map`).
  return variables.map((map, i) => ({
    refId: String.fromCharCode(65 + i),
    version: 2,
    ...base,
    ...(map ? { map } : {}),
  }));
}

const HEATMAP_OPTIONS = {
  calculate: false,
  // Our heatmap-rows frames label each bucket field with its upper bound (labels.le).
  rowsFrame: { layout: 'le' },
  yAxis: { axisPlacement: 'left', reverse: false },
  color: {
    mode: 'scheme',
    scheme: 'Oranges',
    fill: 'dark-orange',
    scale: 'exponential',
    exponent: 0.5,
    steps: 64,
    reverse: false,
  },
  cellGap: 1,
  // Buckets with no events in a second stay empty rather than the palette's lowest colour.
  filterValues: { le: 1e-9 },
  showValue: 'never',
  selectionMode: 'x',
  tooltip: { mode: 'single', yHistogram: true, showColorScale: true },
  legend: { show: true },
  exemplars: { color: 'rgba(255,0,255,0.7)' },
};

function panelJson(panel, code, file, id, gridPos) {
  if (!panel.title) {
    throw new HeaderError(`${file}: a panel without "title:"`);
  }
  const out = {
    id,
    type: panel.type,
    title: panel.title,
    description: panel.description.join(' '),
    gridPos,
    datasource: DATASOURCE,
    targets: targets(panel, code, file),
    fieldConfig: { defaults: {}, overrides: fieldOverrides(panel, file) },
    options: {},
  };
  if (panel.type !== 'timeseries') {
    // A time series compares hosts in one panel (a series per host); a heatmap, table, log or
    // flame graph shows one host: one copy of the panel per picked host, below each other so
    // that the layout of one host stays as it is.
    Object.assign(out, { repeat: 'host', repeatDirection: 'v' });
  }
  switch (panel.type) {
    case 'heatmap': {
      const opts = panel.heatmap === undefined ? {} : options(panel.heatmap, file, 'heatmap');
      const color = { ...HEATMAP_OPTIONS.color };
      for (const [key, value] of Object.entries(opts)) {
        if (key !== 'min' && key !== 'max') {
          throw new HeaderError(`${file}: unknown heatmap option "${key}"`);
        }
        color[key] = numberOption(value, file, `heatmap ${key}`);
      }
      out.options = { ...HEATMAP_OPTIONS, color };
      break;
    }
    case 'timeseries':
      out.fieldConfig.defaults = {
        custom: { drawStyle: 'line', lineWidth: 1, fillOpacity: 10, showPoints: 'never', spanNulls: false },
      };
      out.options = {
        legend: {
          showLegend: true,
          displayMode: 'table',
          placement: 'right',
          calcs: ['mean', 'max'],
          sortBy: 'Mean',
          sortDesc: true,
        },
        tooltip: { mode: 'multi', sort: 'desc' },
      };
      break;
    case 'table':
      out.options = { showHeader: true, cellHeight: 'sm' };
      if (panel.sort) {
        const [displayName, order] = panel.sort.split(/\s+/);
        out.options.sortBy = [{ displayName, desc: order !== 'asc' }];
      }
      if (out.targets.length > 1) {
        // One row per key: the queries' tables share their key columns.
        out.transformations = [{ id: 'merge', options: {} }];
      }
      break;
    case 'logs':
      out.options = {
        showTime: true,
        showLabels: false,
        showCommonLabels: false,
        wrapLogMessage: false,
        prettifyLogMessage: false,
        enableLogDetails: true,
        enableInfiniteScrolling: false,
        dedupStrategy: 'none',
        sortOrder: 'Descending',
      };
      break;
    case 'barchart':
      out.options = {
        xField: 'bucket',
        orientation: 'auto',
        showValue: 'auto',
        stacking: 'none',
        groupWidth: 0.7,
        barWidth: 0.9,
        xTickLabelRotation: 0,
        xTickLabelSpacing: 0,
        legend: { showLegend: false, displayMode: 'list', placement: 'bottom', calcs: [] },
        tooltip: { mode: 'single', sort: 'none' },
      };
      break;
    case 'flamegraph':
      break;
  }
  if (out.fieldConfig.overrides.length && panel.type !== 'table') {
    throw new HeaderError(`${file}: "column:" is for tables`);
  }
  return out;
}

/** Panels in file order, flowing left to right on the 24-column grid; a new row starts a line. */
function layout(entries, file) {
  const panels = [];
  let id = 1;
  let x = 0;
  let y = 0;
  let lineHeight = 0;
  let row;
  const newLine = () => {
    y += lineHeight;
    x = 0;
    lineHeight = 0;
  };
  for (const { panel, code, file: source } of entries) {
    const grid = /^(\d+)x(\d+)$/.exec(panel.grid ?? '');
    if (!grid) {
      throw new HeaderError(`${source}: "grid: WxH" is missing or malformed (${panel.grid})`);
    }
    const [w, h] = [Number(grid[1]), Number(grid[2])];
    if (w < 1 || w > 24 || h < 1) {
      throw new HeaderError(`${source}: grid ${panel.grid} does not fit 24 columns`);
    }
    if (panel.row !== undefined && panel.row !== row) {
      newLine();
      row = panel.row;
      panels.push({
        id: id++,
        type: 'row',
        title: row,
        collapsed: false,
        gridPos: { x: 0, y, w: 24, h: 1 },
        panels: [],
      });
      y += 1;
    }
    if (x + w > 24) {
      newLine();
    }
    panels.push(panelJson(panel, code, source, id++, { x, y, w, h }));
    x += w;
    lineHeight = Math.max(lineHeight, h);
  }
  if (panels.length === 0) {
    throw new HeaderError(`${file}: no .bt files`);
  }
  return panels;
}

function dashboardJson(meta, entries) {
  return {
    uid: meta.uid,
    title: meta.title,
    description: meta.description,
    tags: ['bpflive', 'bpftrace', 'ebpf'],
    editable: true,
    graphTooltip: 1,
    fiscalYearStartMonth: 0,
    schemaVersion: 41,
    version: 1,
    // Panels stream live (no refresh needed); the range scopes histograms, tables and flame graphs.
    time: { from: 'now-5m', to: 'now' },
    timepicker: {},
    timezone: 'browser',
    refresh: '',
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    links: [
      {
        title: 'bpflive dashboards',
        type: 'dashboards',
        tags: ['bpflive'],
        asDropdown: true,
        includeVars: true,
        keepTime: true,
        icon: 'external link',
        targetBlank: false,
        tooltip: '',
        url: '',
      },
    ],
    templating: {
      list: [
        {
          type: 'datasource',
          name: 'datasource',
          label: 'bpftrace data source',
          query: PLUGIN_ID,
          // The provisioned datasource (provisioning/datasources); elsewhere Grafana falls back to
          // the default datasource of this type.
          current: { selected: true, text: 'bpftrace', value: 'bpflive' },
          hide: 0,
          includeAll: false,
          multi: false,
          options: [],
          refresh: 1,
          regex: '',
          skipUrlSync: false,
        },
        {
          type: 'custom',
          name: 'host',
          label: 'host',
          description:
            "The pmcd hosts to trace, as the datasource's pmproxy reaches them (hostspecs, comma-separated in the variable's settings). Several at once: time series get one series per host, other panels one copy per host.",
          query: 'localhost',
          current: { selected: true, text: ['localhost'], value: ['localhost'] },
          options: [{ selected: true, text: 'localhost', value: 'localhost' }],
          hide: 0,
          includeAll: true,
          multi: true,
          skipUrlSync: false,
        },
        {
          // Ad-hoc filters on comm and pid, for the datasource's ad-hoc filter support to put in
          // front of every probe of every panel, so the whole dashboard follows one process or
          // program.
          type: 'adhoc',
          name: 'process',
          label: 'process (comm, pid)',
          datasource: DATASOURCE,
          filters: [],
          hide: 0,
          skipUrlSync: false,
        },
      ],
    },
    panels: layout(entries, meta.dir),
  };
}

/**
 * JSON with 2-space indents where objects and arrays of plain values that fit on a short line
 * stay on one line (prettier keeps them so): value maps and grid positions stay readable.
 */
function compactJson(value, indent = '') {
  if (value === null || typeof value !== 'object') {
    return JSON.stringify(value);
  }
  const isArray = Array.isArray(value);
  const items = isArray ? value.map((v) => [undefined, v]) : Object.entries(value).filter(([, v]) => v !== undefined);
  const [open, close] = isArray ? ['[', ']'] : ['{', '}'];
  if (items.length === 0) {
    return open + close;
  }
  const member = ([key, v], inner) => (isArray ? '' : `${JSON.stringify(key)}: `) + compactJson(v, inner);
  if (items.every(([, v]) => v === null || typeof v !== 'object' || Object.keys(v).length === 0)) {
    const line = `${open}${isArray ? '' : ' '}${items.map((item) => member(item, '')).join(', ')}${isArray ? '' : ' '}${close}`;
    if (line.length <= 80) {
      return line;
    }
  }
  const inner = indent + '  ';
  return `${open}\n${items.map((item) => inner + member(item, inner)).join(',\n')}\n${indent}${close}`;
}

/** Every dashboard's file name and formatted JSON text, from the .bt files. */
export async function buildAll() {
  const problems = [];
  const outputs = [];
  for (const meta of DASHBOARDS) {
    const dir = path.join(root, 'dashboards', meta.dir);
    const files = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.bt'))
      .sort();
    const entries = [];
    for (const name of files) {
      const file = path.join('dashboards', meta.dir, name);
      const text = fs.readFileSync(path.join(root, file), 'utf8');
      const { panels, code } = parseScript(text, file);
      for (const panel of panels) {
        entries.push({ panel, code, file });
      }
    }
    const out = path.join('src', 'dashboards', `${meta.dir}.json`);
    const json = compactJson(dashboardJson(meta, entries));
    const config = (await prettier.resolveConfig(path.join(root, out))) ?? {};
    const text = await prettier.format(json, { ...config, parser: 'json', filepath: path.join(root, out) });
    outputs.push({ meta, out, text });
  }
  return { outputs, problems };
}

/** plugin.json must list every dashboard (Grafana's datasource "Dashboards" tab reads it). */
function includeProblems(outputs) {
  const plugin = JSON.parse(fs.readFileSync(path.join(root, 'src', 'plugin.json'), 'utf8'));
  const listed = new Set((plugin.includes ?? []).filter((i) => i.type === 'dashboard').map((i) => i.path));
  return outputs
    .map(({ out }) => path.relative('src', out))
    .filter((p) => !listed.has(p))
    .map((p) => `src/plugin.json "includes" has no dashboard with path "${p}"`);
}

async function main() {
  const check = process.argv.includes('--check');
  let result;
  try {
    result = await buildAll();
  } catch (e) {
    if (e instanceof HeaderError) {
      console.error(`build-dashboards: ${e.message}`);
      process.exit(1);
    }
    throw e;
  }
  const { outputs, problems } = result;
  problems.push(...includeProblems(outputs));
  for (const { out, text } of outputs) {
    const file = path.join(root, out);
    const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
    if (current === text) {
      continue;
    }
    if (check) {
      problems.push(`${out} is not what dashboards/*.bt give: run node scripts/build-dashboards.mjs`);
    } else {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
      console.log(`build-dashboards: wrote ${out}`);
    }
  }
  if (problems.length) {
    console.error(`build-dashboards:\n  - ${problems.join('\n  - ')}`);
    process.exit(1);
  }
  if (check) {
    console.log(`build-dashboards: ${outputs.length} dashboards up to date`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  await main();
}
