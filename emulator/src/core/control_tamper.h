// SPDX-License-Identifier: MIT
#pragma once

// Tampered controls: a driver bug on purpose. Rules "id:offset:mask[;...]" (C notation,
// e.g. 0xa409dd:16:0x10 sets MPEG-2 intra_vlc_format) XOR one byte of a control's payload as
// the device's job sees it: the reference checks, the frame identity and the engine all read
// the tampered value, the control handler (G_EXT_CTRLS) keeps what userspace set. Used to
// prove that the conformance comparison catches a wrong control (BoardOptions::controlTamper,
// V4L2EMU_CONTROL_TAMPER).

#include "codecs/codec.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace v4l2emu {

struct ControlTamper {
	uint32_t id = 0;
	uint32_t offset = 0;
	uint8_t mask = 0;
};

/// Parses the rules; -EINVAL with *error naming the bad rule.
int parseControlTamper(std::string_view text, std::vector<ControlTamper> *out, std::string *error);

/// A reader over base with the rules applied. A touched payload is copied into the scratch
/// buffer of the first rule naming its control (scratch has one buffer per rule), so payloads
/// of different controls stay valid together.
class TamperedControls final : public ControlReader {
public:
	TamperedControls(const ControlReader &base, const std::vector<ControlTamper> &rules,
			 std::vector<std::vector<uint8_t>> &scratch)
		: base_(base), rules_(rules), scratch_(scratch)
	{
	}
	const void *get(uint32_t id, uint32_t *elems = nullptr) const override;
	bool wasSet(uint32_t id) const override { return base_.wasSet(id); }

private:
	const ControlReader &base_;
	const std::vector<ControlTamper> &rules_;
	std::vector<std::vector<uint8_t>> &scratch_;
};

} // namespace v4l2emu
