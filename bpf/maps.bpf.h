/* Map helpers the profile programs share (the role bcc's libbpf-tools give maps.bpf.h). */
#ifndef WAITPROF_MAPS_BPF_H
#define WAITPROF_MAPS_BPF_H

#include <bpf/bpf_helpers.h>

/* Returns the value for key, inserting init first when absent. Two CPUs may race to insert:
 * BPF_NOEXIST lets one win and the other finds its entry on the second lookup. NULL only when
 * the map is full. */
static __always_inline void *lookup_or_init(void *map, const void *key, const void *init) {
  void *val = bpf_map_lookup_elem(map, key);
  if (val) return val;
  long err = bpf_map_update_elem(map, key, init, BPF_NOEXIST);
  if (err && err != -17 /* EEXIST */) return 0;
  return bpf_map_lookup_elem(map, key);
}

/* Adds n to entry `index` of a per-CPU array of u64 counters: no atomics needed, since only
 * this CPU writes its slot. */
static __always_inline void percpu_add(void *map, __u32 index, __u64 n) {
  __u64 *v = bpf_map_lookup_elem(map, &index);
  if (v) *v += n;
}

static __always_inline void percpu_increment(void *map, __u32 index) {
  percpu_add(map, index, 1);
}

#endif
