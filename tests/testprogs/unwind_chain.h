#pragma once

#include <mutex>

namespace chain {

// outer_a → middle_b → (inline_step) → leaf: the chain every waiting thread goes through.
void outer_a(void (*leaf)());
void middle_b(void (*leaf)());
// Leaves: a contended std::mutex, an idle condition variable, a write to a full pipe (the
// one set_write_fd names), a 5 ms nanosleep.
void take_lock_c();
void wait_idle_c();
void write_full_pipe_c();
void sleep_c();
void set_write_fd(int fd);
std::mutex& contended_lock();

}  // namespace chain
