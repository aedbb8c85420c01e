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

# ---- symbolization targets (tests/func/sym-*.sh) ----------------------------

# t-sym-lines rebuilt three more ways: by clang, which emits no
# .debug_aranges (unwind.md P21); with zlib-compressed DWARF (P25); and
# without DWARF, leaving only the symbol table.
SYM_LINES_DEPS := tests/targets/t-sym-lines.c tests/targets/target.h

ifneq ($(shell command -v clang 2>/dev/null),)
$(B)/targets/O2/t-sym-lines-clang: $(SYM_LINES_DEPS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)clang $(TARGET_CFLAGS) -O2 -fomit-frame-pointer -o $@ $< $(TARGET_LIBS)

EXTRA_TARGETS += $(B)/targets/O2/t-sym-lines-clang
endif

$(B)/targets/O2/t-sym-lines-zlib: $(SYM_LINES_DEPS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(TARGET_CFLAGS) -gz=zlib -O2 -fomit-frame-pointer -o $@ $< $(TARGET_LIBS)

$(B)/targets/O2/t-sym-lines-nodebug: $(SYM_LINES_DEPS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(TARGET_CFLAGS) -g0 -O2 -fomit-frame-pointer -o $@ $< $(TARGET_LIBS)

EXTRA_TARGETS += $(B)/targets/O2/t-sym-lines-zlib $(B)/targets/O2/t-sym-lines-nodebug

# The two libraries t-sym-dlswap loads one after the other (P4): one
# source, function names of equal length, so identical layouts.
$(B)/targets/O2/libsym-a.so: tests/targets/sym/dlhot.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -g -O2 -fPIC -shared -DHOT=a_hot -DLEAF=a_leaf -o $@ $<

$(B)/targets/O2/libsym-b.so: tests/targets/sym/dlhot.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) -g -O2 -fPIC -shared -DHOT=b_hot -DLEAF=b_leaf -o $@ $<

EXTRA_TARGETS += $(B)/targets/O2/libsym-a.so $(B)/targets/O2/libsym-b.so

# t-sym-clones: GCC's .constprop and .cold clones of C++ functions (P27), at
# -O2 with DWARF and without.
$(B)/targets/O2/t-sym-clones: tests/targets/t-sym-clones.cc tests/targets/target.h
	$(call msg,CXX,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CXX) $(TARGET_CXXFLAGS) -O2 -fomit-frame-pointer -o $@ $<

$(B)/targets/O2/t-sym-clones-nodebug: tests/targets/t-sym-clones.cc tests/targets/target.h
	$(call msg,CXX,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CXX) $(TARGET_CXXFLAGS) -g0 -O2 -fomit-frame-pointer -o $@ $<

EXTRA_TARGETS += $(B)/targets/O2/t-sym-clones $(B)/targets/O2/t-sym-clones-nodebug
