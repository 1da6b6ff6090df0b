// SPDX-License-Identifier: MIT
#include "control_tamper.h"

#include <cerrno>
#include <cstdlib>

namespace v4l2emu {

int parseControlTamper(std::string_view text, std::vector<ControlTamper> *out, std::string *error)
{
	std::vector<ControlTamper> rules;
	size_t start = 0;
	while (start <= text.size()) {
		size_t end = text.find(';', start);
		std::string rule(text.substr(start, end == std::string_view::npos ? std::string_view::npos
										  : end - start));
		if (!rule.empty()) {
			unsigned long long values[3] = {};
			const char *p = rule.c_str();
			bool ok = true;
			for (int i = 0; i < 3 && ok; i++) {
				char *endp = nullptr;
				errno = 0;
				values[i] = strtoull(p, &endp, 0);
				ok = endp != p && errno == 0 && *endp == (i < 2 ? ':' : '\0');
				p = endp + (i < 2 && ok ? 1 : 0);
			}
			if (!ok || values[0] > UINT32_MAX || values[1] >= (1u << 20) || !values[2] ||
			    values[2] > 0xff) {
				if (error)
					*error = "control tamper rule '" + rule +
						 "': expected id:offset:mask, e.g. 0xa409dd:16:0x10";
				return -EINVAL;
			}
			rules.push_back({static_cast<uint32_t>(values[0]), static_cast<uint32_t>(values[1]),
					 static_cast<uint8_t>(values[2])});
		}
		if (end == std::string_view::npos)
			break;
		start = end + 1;
	}
	*out = std::move(rules);
	return 0;
}

const void *TamperedControls::get(uint32_t id, uint32_t *elems) const
{
	uint32_t n = 0;
	const void *p = base_.get(id, &n);
	if (elems)
		*elems = n;
	if (!p)
		return p;
	const ControlDef *def = standardControl(id);
	size_t size = def ? static_cast<size_t>(def->elemSize) * (n ? n : 1) : 0;
	std::vector<uint8_t> *copy = nullptr;
	if (scratch_.size() < rules_.size())
		scratch_.resize(rules_.size());
	for (size_t i = 0; i < rules_.size(); i++) {
		const ControlTamper &t = rules_[i];
		if (t.id != id || t.offset >= size)
			continue;
		if (!copy) {
			copy = &scratch_[i];
			copy->assign(static_cast<const uint8_t *>(p), static_cast<const uint8_t *>(p) + size);
		}
		(*copy)[t.offset] ^= t.mask;
	}
	return copy ? copy->data() : p;
}

} // namespace v4l2emu
