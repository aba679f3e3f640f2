# Writes ${OUT} with one `{number, "name"},` line per syscall of this architecture, from the
# kernel UAPI header (linux-libc-dev), so offcpu can name the syscall a thread waited in.
# Where the header is missing the table is empty and waitprof shows numbers ("syscall 202").
function(waitprof_write_syscall_table OUT)
  find_file(WAITPROF_UNISTD_HEADER NAMES asm/unistd_64.h
            PATHS /usr/include/${CMAKE_LIBRARY_ARCHITECTURE} /usr/include NO_DEFAULT_PATH)
  set(body "")
  if(WAITPROF_UNISTD_HEADER)
    file(STRINGS ${WAITPROF_UNISTD_HEADER} lines REGEX "^#define __NR_[a-z0-9_]+ [0-9]+$")
    foreach(line ${lines})
      string(REGEX REPLACE "^#define __NR_([a-z0-9_]+) ([0-9]+)$" "{\\2, \"\\1\"},\n" entry "${line}")
      string(APPEND body "${entry}")
    endforeach()
  else()
    message(WARNING "asm/unistd_64.h not found: offcpu will show syscall numbers, not names")
  endif()
  file(CONFIGURE OUTPUT ${OUT} CONTENT "${body}")
endfunction()
