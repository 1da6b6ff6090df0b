// SPDX-License-Identifier: MIT
#include "sanitizer_runtime.h"

#include <v4l2emu/unique_fd.h>

#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string_view>

namespace v4l2emu::tools {

std::string resolveProgram(const std::string &program)
{
	if (program.empty())
		return "";
	if (program.find('/') != std::string::npos)
		return program;
	const char *path = getenv("PATH");
	std::string_view dirs = path && *path ? path : "/usr/local/bin:/usr/bin:/bin";
	while (true) {
		size_t end = dirs.find(':');
		std::string dir(dirs.substr(0, end));
		std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
		if (access(candidate.c_str(), X_OK) == 0)
			return candidate;
		if (end == std::string_view::npos)
			return "";
		dirs.remove_prefix(end + 1);
	}
}

namespace {

/// A read-only mapping of a whole file.
class MappedFile {
public:
	explicit MappedFile(const std::string &path)
	{
		UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
		struct stat st;
		if (!fd || fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0)
			return;
		void *p = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd.get(), 0);
		if (p == MAP_FAILED)
			return;
		data_ = static_cast<const uint8_t *>(p);
		size_ = static_cast<size_t>(st.st_size);
	}
	MappedFile(const MappedFile &) = delete;
	MappedFile &operator=(const MappedFile &) = delete;
	~MappedFile()
	{
		if (data_)
			::munmap(const_cast<uint8_t *>(data_), size_);
	}

	/// count objects of T at `offset`, or nullptr if they are not all inside the file.
	template <typename T>
	const T *at(uint64_t offset, uint64_t count = 1) const
	{
		if (!data_ || offset > size_ || count > (size_ - offset) / sizeof(T) || offset % alignof(T))
			return nullptr;
		return reinterpret_cast<const T *>(data_ + offset);
	}
	size_t size() const { return size_; }

private:
	const uint8_t *data_ = nullptr;
	size_t size_ = 0;
};

} // namespace

bool definesSanitizerRuntime(const std::string &path)
{
	MappedFile file(path);
	const auto *eh = file.at<Elf64_Ehdr>(0);
	if (!eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_shentsize != sizeof(Elf64_Shdr))
		return false;
	const auto *sections = file.at<Elf64_Shdr>(eh->e_shoff, eh->e_shnum);
	if (!sections)
		return false;
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		const Elf64_Shdr &symtab = sections[i];
		if (symtab.sh_type != SHT_DYNSYM || symtab.sh_link >= eh->e_shnum ||
		    symtab.sh_entsize != sizeof(Elf64_Sym))
			continue;
		const Elf64_Shdr &strtab = sections[symtab.sh_link];
		const auto *syms = file.at<Elf64_Sym>(symtab.sh_offset, symtab.sh_size / sizeof(Elf64_Sym));
		const char *names = file.at<char>(strtab.sh_offset, strtab.sh_size);
		if (!syms || !names)
			continue;
		for (uint64_t s = 0; s < symtab.sh_size / sizeof(Elf64_Sym); s++) {
			if (syms[s].st_shndx == SHN_UNDEF || syms[s].st_name >= strtab.sh_size)
				continue;
			std::string_view name(names + syms[s].st_name,
					      strnlen(names + syms[s].st_name, strtab.sh_size - syms[s].st_name));
			if (name == "__asan_init" || name == "__tsan_init")
				return true;
		}
	}
	return false;
}

} // namespace v4l2emu::tools
