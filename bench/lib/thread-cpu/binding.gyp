# The thread CPU clock for the benches (thread_cpu.c); bench/run.mjs builds it with node-gyp.
{
  "targets": [
    {
      "target_name": "thread_cpu",
      "sources": ["thread_cpu.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
