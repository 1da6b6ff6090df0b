// SPDX-License-Identifier: MIT
// ioctls on media nodes (MCD = mc-device.c): device info, topology as built by
// M2M:v4l2_m2m_register_media_controller, and request allocation.
#include "board_impl.h"
#include "usercopy.h"
#include "video_ioctl.h"

#include <linux/media.h>

#include <cerrno>
#include <cstring>

namespace v4l2emu {

namespace {

constexpr uint32_t kIdTypeShift = 24;	// MCD: media_gen_id(type, local_id)
constexpr uint32_t kTypeEntity = 0, kTypePad = 1, kTypeLink = 2, kTypeInterface = 3;

uint32_t gobjId(uint32_t type, uint32_t local)
{
	return (type << kIdTypeShift) | local;
}

/// The m2m topology: entities source (1, pad 2), proc (3, pads 4 and 5), sink (6, pad 7),
/// data links 8 and 9, the interface devnode 10 and its links 11 and 12, in the order
/// v4l2_m2m_register_media_controller creates them.
struct Topology {
	struct Entity {
		uint32_t id;
		const char *suffix;
		uint32_t function;
		uint32_t pads;
		uint32_t firstPad;
	};
	static constexpr Entity kEntities[3] = {
		{1, "source", MEDIA_ENT_F_IO_V4L, 1, 2},
		{3, "proc", MEDIA_ENT_F_PROC_VIDEO_DECODER, 2, 4},
		{6, "sink", MEDIA_ENT_F_IO_V4L, 1, 7},
	};
};

void entityName(const VideoNode &node, const char *suffix, char *out, size_t size)
{
	memset(out, 0, size);
	snprintf(out, size, "%s-%s", node.driver().cardName(), suffix);
}

/// Pad flags of the m2m topology's pads, by entity and index.
uint32_t padFlags(const Topology::Entity &e, uint32_t index)
{
	bool source = (e.pads == 1 && e.id == 1) || (e.pads == 2 && index == 1);
	return source ? MEDIA_PAD_FL_SOURCE : MEDIA_PAD_FL_SINK;
}

/// copy_to_user of one array element through a user pointer, advancing it; -EFAULT if the
/// memory is not writable (the kernel keeps counting and returns -EFAULT at the end).
template<typename T> int putUser(T *&user, const T &value)
{
	int ret = copyToUser(user, &value, sizeof(value));
	// Advance as an integer: a garbage user pointer must not be pointer arithmetic (UB).
	user = reinterpret_cast<T *>(reinterpret_cast<uintptr_t>(user) + sizeof(T));
	return ret ? -EFAULT : 0;
}

int getTopology(const MediaDevice &dev, struct media_v2_topology &topo)
{
	// MCD:media_device_get_topology: counts are always returned; arrays are filled when a
	// pointer is given, ENOSPC when the count given is too small.
	const VideoNode &node = dev.video();
	int ret = 0;

	auto *ents = reinterpret_cast<struct media_v2_entity *>(static_cast<uintptr_t>(topo.ptr_entities));
	uint32_t i = 0;
	for (const auto &e : Topology::kEntities) {
		i++;
		if (ret || !ents)
			continue;
		if (i > topo.num_entities) {
			ret = -ENOSPC;
			continue;
		}
		struct media_v2_entity k {};
		k.id = gobjId(kTypeEntity, e.id);
		k.function = e.function;
		entityName(node, e.suffix, k.name, sizeof(k.name));
		ret = putUser(ents, k);
	}
	topo.num_entities = i;
	topo.reserved1 = 0;

	auto *intfs = reinterpret_cast<struct media_v2_interface *>(static_cast<uintptr_t>(topo.ptr_interfaces));
	i = 1;
	if (!ret && intfs) {
		if (topo.num_interfaces < 1) {
			ret = -ENOSPC;
		} else {
			struct media_v2_interface k {};
			k.id = gobjId(kTypeInterface, 10);
			k.intf_type = MEDIA_INTF_T_V4L_VIDEO;
			k.devnode.major = node.major();
			k.devnode.minor = node.minor();
			ret = putUser(intfs, k);
		}
	}
	topo.num_interfaces = i;
	topo.reserved2 = 0;

	auto *pads = reinterpret_cast<struct media_v2_pad *>(static_cast<uintptr_t>(topo.ptr_pads));
	i = 0;
	for (const auto &e : Topology::kEntities) {
		for (uint32_t p = 0; p < e.pads; p++) {
			i++;
			if (ret || !pads)
				continue;
			if (i > topo.num_pads) {
				ret = -ENOSPC;
				continue;
			}
			struct media_v2_pad k {};
			k.id = gobjId(kTypePad, e.firstPad + p);
			k.entity_id = gobjId(kTypeEntity, e.id);
			k.flags = padFlags(e, p);
			k.index = p;
			ret = putUser(pads, k);
		}
	}
	topo.num_pads = i;
	topo.reserved3 = 0;

	struct media_v2_link all[4] = {};
	const uint32_t dataFlags = MEDIA_LNK_FL_IMMUTABLE | MEDIA_LNK_FL_ENABLED | MEDIA_LNK_FL_DATA_LINK;
	const uint32_t intfFlags = MEDIA_LNK_FL_IMMUTABLE | MEDIA_LNK_FL_ENABLED |
				   MEDIA_LNK_FL_INTERFACE_LINK;
	all[0] = {gobjId(kTypeLink, 8), gobjId(kTypePad, 2), gobjId(kTypePad, 4), dataFlags, {}};
	all[1] = {gobjId(kTypeLink, 9), gobjId(kTypePad, 5), gobjId(kTypePad, 7), dataFlags, {}};
	all[2] = {gobjId(kTypeLink, 11), gobjId(kTypeInterface, 10), gobjId(kTypeEntity, 1), intfFlags, {}};
	all[3] = {gobjId(kTypeLink, 12), gobjId(kTypeInterface, 10), gobjId(kTypeEntity, 6), intfFlags, {}};
	auto *links = reinterpret_cast<struct media_v2_link *>(static_cast<uintptr_t>(topo.ptr_links));
	i = 0;
	for (const auto &l : all) {
		i++;
		if (ret || !links)
			continue;
		if (i > topo.num_links) {
			ret = -ENOSPC;
			continue;
		}
		ret = putUser(links, l);
	}
	topo.num_links = i;
	topo.reserved4 = 0;
	topo.topology_version = 12;	// one increment per graph object registered
	return ret;
}

int enumEntities(const MediaDevice &dev, struct media_entity_desc &ed)
{
	// MCD:media_device_enum_entities (MEDIA_ENT_ID_FLAG_NEXT walks the ids).
	uint32_t id = ed.id;
	const Topology::Entity *found = nullptr;
	for (const auto &e : Topology::kEntities) {
		if (id & MEDIA_ENT_ID_FLAG_NEXT) {
			if (e.id > (id & ~MEDIA_ENT_ID_FLAG_NEXT)) {
				found = &e;
				break;
			}
		} else if (e.id == id) {
			found = &e;
			break;
		}
	}
	if (!found)
		return -EINVAL;
	memset(&ed, 0, sizeof(ed));
	ed.id = found->id;
	entityName(dev.video(), found->suffix, ed.name, sizeof(ed.name));
	ed.type = found->function;
	ed.pads = static_cast<uint16_t>(found->pads);
	ed.links = static_cast<uint16_t>(found->id == 6 ? 0 : 1);
	if (found->function == MEDIA_ENT_F_IO_V4L) {
		ed.dev.major = dev.video().major();
		ed.dev.minor = dev.video().minor();
	}
	return 0;
}

int enumLinks(struct media_links_enum &le)
{
	// MCD:media_device_enum_links: the entity's pads, then its outgoing data links (backlinks
	// and interface links are not listed); -EFAULT on an unwritable array.
	const Topology::Entity *found = nullptr;
	for (const auto &e : Topology::kEntities)
		if (e.id == (le.entity & ~MEDIA_ENT_ID_FLAG_NEXT))
			found = &e;
	if (!found)
		return -EINVAL;
	if (le.pads) {
		struct media_pad_desc *upad = le.pads;
		for (uint32_t p = 0; p < found->pads; p++) {
			struct media_pad_desc k {};
			k.entity = found->id;
			k.index = static_cast<uint16_t>(p);
			k.flags = padFlags(*found, p);
			if (putUser(upad, k))
				return -EFAULT;
		}
	}
	if (le.links && found->id != 6) {
		// source:0 -> proc:0, proc:1 -> sink:0 (M2M:v4l2_m2m_register_media_controller).
		struct media_link_desc k {};
		k.source.entity = found->id;
		k.source.index = found->id == 1 ? 0 : 1;
		k.source.flags = MEDIA_PAD_FL_SOURCE;
		k.sink.entity = found->id == 1 ? 3 : 6;
		k.sink.index = 0;
		k.sink.flags = MEDIA_PAD_FL_SINK;
		k.flags = MEDIA_LNK_FL_IMMUTABLE | MEDIA_LNK_FL_ENABLED;
		struct media_link_desc *ulink = le.links;
		if (putUser(ulink, k))
			return -EFAULT;
	}
	memset(le.reserved, 0, sizeof(le.reserved));
	return 0;
}

} // namespace

int mediaIoctl(BoardImpl &board, MediaFile &file, unsigned long cmd, void *arg)
{
	MediaDevice &dev = file.device;
	switch (cmd) {
	case MEDIA_IOC_DEVICE_INFO: {
		auto &info = *static_cast<struct media_device_info *>(arg);
		const DriverProfile &drv = dev.video().driver();
		memset(&info, 0, sizeof(info));
		strncpy(info.driver, drv.driverName(), sizeof(info.driver) - 1);
		strncpy(info.model, drv.mediaModel(), sizeof(info.model) - 1);
		strncpy(info.bus_info, drv.busInfo(), sizeof(info.bus_info) - 1);
		uint32_t version = drv.kernel() == KernelVersion::V6_12
					   ? ((6u << 16) | (12u << 8) | 117u)
					   : ((6u << 16) | (18u << 8));
		info.media_version = version;
		info.driver_version = version;
		info.hw_revision = 0;
		return 0;
	}
	case MEDIA_IOC_G_TOPOLOGY:
		return getTopology(dev, *static_cast<struct media_v2_topology *>(arg));
	case MEDIA_IOC_ENUM_ENTITIES:
		return enumEntities(dev, *static_cast<struct media_entity_desc *>(arg));
	case MEDIA_IOC_ENUM_LINKS:
		return enumLinks(*static_cast<struct media_links_enum *>(arg));
	case MEDIA_IOC_REQUEST_ALLOC: {
		Request *req = nullptr;
		int ret = dev.allocRequest(&req);
		if (ret)
			return ret;
		int fd = -1;
		ret = board.installRequest(dev, req, &fd);
		if (ret)
			return ret;
		*static_cast<int *>(arg) = fd;
		return 0;
	}
	default:
		return -ENOTTY;
	}
}

} // namespace v4l2emu
