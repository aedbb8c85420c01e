# Test targets that need builds of their own, included by the Makefile.
# Each adds its outputs to EXTRA_TARGETS, which `make build-tests` builds.

CXX ?= g++

# t-cxx: C++ templates, a namespace and a lambda, for demangled names.
# Built like the C targets: -O0 with frame pointers, -O2 without.
TARGET_CXXFLAGS := -g -std=gnu++17 -D_GNU_SOURCE -pthread -Wall

$(B)/targets/O0/t-cxx: tests/targets/t-cxx.cc tests/targets/target.h
	$(call msg,CXX,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CXX) $(TARGET_CXXFLAGS) -O0 -fno-inline -fno-omit-frame-pointer -o $@ $<

$(B)/targets/O2/t-cxx: tests/targets/t-cxx.cc tests/targets/target.h
	$(call msg,CXX,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CXX) $(TARGET_CXXFLAGS) -O2 -fomit-frame-pointer -o $@ $<

EXTRA_TARGETS += $(B)/targets/O0/t-cxx $(B)/targets/O2/t-cxx

# t-threads linked by ld.lld: its segments share file pages, so a mapping's
# file offset alone does not say which segment it holds (unwind.md U6).
# Built only where clang and ld.lld exist (make check installs them).
ifneq ($(and $(shell command -v clang 2>/dev/null),$(shell command -v ld.lld 2>/dev/null)),)
$(B)/targets/O2/t-threads-lld: tests/targets/t-threads.c tests/targets/target.h
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)clang $(TARGET_CFLAGS) -O2 -fomit-frame-pointer -fuse-ld=lld -o $@ $< $(TARGET_LIBS)

EXTRA_TARGETS += $(B)/targets/O2/t-threads-lld
endif
