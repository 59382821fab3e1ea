/*
 * threadCpuNs(): CPU time of the calling thread, in nanoseconds (a double: exact up to 2^53 ns,
 * about 104 days), from clock_gettime(CLOCK_THREAD_CPUTIME_ID). Called from JavaScript it is the
 * main thread's own CPU time: V8's background threads (concurrent marking, sweeping, compiling)
 * are not counted, unlike process.cpuUsage(). Node 20 has no process.threadCpuUsage(), and
 * /proc/self/schedstat can read 0. Built by bench/run.mjs (node-gyp, Node's own headers).
 */
#include <node_api.h>
#include <time.h>

static napi_value thread_cpu_ns(napi_env env, napi_callback_info info) {
  (void)info;
  struct timespec ts;
  napi_value result;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) {
    napi_throw_error(env, NULL, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    return NULL;
  }
  if (napi_create_double(env, (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec, &result) != napi_ok) {
    return NULL;
  }
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  if (napi_create_function(env, "threadCpuNs", NAPI_AUTO_LENGTH, thread_cpu_ns, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "threadCpuNs", fn) != napi_ok) {
    return NULL;
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
