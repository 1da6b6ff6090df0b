// SPDX-License-Identifier: MIT
#include "corpus.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace props {

std::vector<std::string> tokens(const std::string &line)
{
	std::istringstream in(line);
	std::vector<std::string> out;
	for (std::string t; in >> t;)
		out.push_back(t);
	return out;
}

bool readCorpusFile(const std::string &path, CorpusFile *out, std::string *error)
{
	std::ifstream in(path);
	if (!in) {
		*error = "cannot open " + path;
		return false;
	}
	CorpusFile f;
	std::string line;
	unsigned number = 0;
	bool header = false;
	while (std::getline(in, line)) {
		number++;
		const size_t hash = line.find('#');
		if (hash != std::string::npos)
			line.erase(hash);
		std::vector<std::string> t = tokens(line);
		if (t.empty())
			continue;
		if (!header) {
			if (t.size() != 3 || t[0] != "props" || t[2] != "v1") {
				*error = path + ":" + std::to_string(number) +
					 ": expected the header \"props <kind> v1\"";
				return false;
			}
			f.kind = t[1];
			header = true;
			continue;
		}
		std::string joined;
		for (const std::string &s : t)
			joined += (joined.empty() ? "" : " ") + s;
		f.commands.push_back({ number, joined });
	}
	if (!header) {
		*error = path + ": no header";
		return false;
	}
	*out = std::move(f);
	return true;
}

std::vector<std::string> corpusFiles(const std::string &dir)
{
	std::vector<std::string> out;
	std::error_code ec;
	for (const auto &e : std::filesystem::directory_iterator(dir, ec))
		if (e.is_regular_file() && e.path().extension() == ".txt")
			out.push_back(e.path().string());
	std::sort(out.begin(), out.end());
	return out;
}

std::string counterexampleDir()
{
	const char *d = getenv("PROPS_COUNTEREXAMPLE_DIR");
	return d && *d ? d : "props-counterexamples";
}

std::string writeCounterexample(const std::string &name, const std::string &kind,
				const std::vector<std::string> &commands,
				const std::string &failure)
{
	std::error_code ec;
	std::filesystem::create_directories(counterexampleDir(), ec);
	std::string file = name;
	std::replace_if(
		file.begin(), file.end(), [](char c) { return c == '/' || c == ' '; }, '_');
	const std::string path = counterexampleDir() + "/" + file + ".txt";
	std::ofstream out(path, std::ios::trunc);
	if (!out)
		return "";
	out << "props " << kind << " v1\n";
	std::istringstream why(failure);
	for (std::string l; std::getline(why, l);)
		out << "# " << l << "\n";
	for (const std::string &c : commands)
		out << c << "\n";
	return out ? path : "";
}

} // namespace props
