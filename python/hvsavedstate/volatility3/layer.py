# SPDX-License-Identifier: MIT
"""volatility3 layers over libhvsavedstate (see __init__.py).

Stacking on ``vol.py -f VM.vmrs``:

  FileLayer (volatility3's own, the file)
    -> HvsRawLayer       raw saved memory through the library
    -> HvsPhysicalLayer  guest-physical addresses (metadata: VP CR3s)
    -> Intel / IntelPAE / Intel32e, by volatility3's OS stackers, or by
       hand with page_map_offset = layer.metadata["page_map_offset"] (VP 0)
       or any of layer.metadata["vp_page_map_offsets"].
"""
from __future__ import annotations

import logging
import os
import threading
import urllib.parse
import urllib.request
from typing import Any, Dict, List, Optional

from volatility3.framework import constants, exceptions, interfaces
from volatility3.framework.configuration import requirements
from volatility3.framework.layers import physical, segmented

import hvsavedstate as hvs

vollog = logging.getLogger(__name__)

# The page-table root bits of CR3 per paging mode (the rest are PCID,
# PWT/PCD or the no-flush bit 63).
_CR3_MASK = {"x64-4level": 0x000FFFFFFFFFF000, "x64-5level": 0x000FFFFFFFFFF000,
             "pae": 0xFFFFFFE0, "x86-32": 0xFFFFF000}
_ARCH = {"x64-4level": "Intel64", "x64-5level": "Intel64", "pae": "Intel32",
         "x86-32": "Intel32"}


def location_to_path(location: str) -> Optional[str]:
    """A local file name from a volatility3 location (file: URL or a path)."""
    u = urllib.parse.urlparse(location)
    if u.scheme == "file":
        return urllib.request.url2pathname(u.path)
    if u.scheme == "" or (len(u.scheme) == 1 and os.name == "nt"):
        return location
    return None


class HvsRawLayer(interfaces.layers.DataLayerInterface):
    """The raw saved memory of a saved state: offsets 0 .. raw_size - 1,
    read through the library (decoding compressed RAM blocks on demand)."""

    def __init__(self, context: interfaces.context.ContextInterface, config_path: str,
                 name: str, metadata: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(context=context, config_path=config_path, name=name,
                         metadata=metadata)
        self._location = self.config["location"]
        path = location_to_path(self._location)
        if path is None:
            raise exceptions.LayerException(name, f"not a local file: {self._location}")
        fmt = self.config.get("format", None) or "auto"
        vsv = self.config.get("vsv", None) or None
        try:
            self._image = hvs.Image(path, format=fmt, vsv=vsv)
        except hvs.HvsError as e:
            raise exceptions.LayerException(name, f"{path}: {e.message}") from e
        self._size = self._image.raw_size
        self.lock = threading.Lock()

    @property
    def image(self) -> hvs.Image:
        """The hvsavedstate.Image behind the layer (VPs, registers, keys)."""
        return self._image

    @property
    def minimum_address(self) -> int:
        return 0

    @property
    def maximum_address(self) -> int:
        return max(self._size - 1, 0)

    def is_valid(self, offset: int, length: int = 1) -> bool:
        return 0 <= offset and length > 0 and offset + length <= self._size

    def read(self, offset: int, length: int, pad: bool = False) -> bytes:
        buf = bytearray(length)
        try:
            with self.lock:
                self._image.read_into(offset, buf, raw=True)
        except hvs.HvsError as e:
            if not pad:
                raise exceptions.InvalidAddressException(
                    self.name, offset + e.done, e.message) from e
            buf[e.done:] = bytes(length - e.done)
        return bytes(buf)

    def write(self, offset: int, data: bytes) -> None:
        raise exceptions.LayerException(self.name, "saved states are opened read-only")

    def destroy(self) -> None:
        self._image.close()

    @classmethod
    def get_requirements(cls) -> List[interfaces.configuration.RequirementInterface]:
        return [
            requirements.StringRequirement(name="location", optional=False,
                                           description="file: URL or path of the saved state"),
            requirements.StringRequirement(name="format", optional=True, default="auto",
                                           description="vmrs, bin or auto"),
            requirements.StringRequirement(name="vsv", optional=True, default="",
                                           description="legacy .bin: the companion .vsv"),
        ]


class HvsPhysicalLayer(segmented.SegmentedLayer):
    """Guest-physical memory: the saved ranges mapped onto HvsRawLayer.

    Metadata for translation layers stacked on top: ``page_map_offset``
    (VP 0's CR3, root bits only), ``vp_page_map_offsets`` and
    ``vp_paging_modes`` (one per VP, active VTL), ``architecture``
    ("Intel64"/"Intel32"), ``pae``, and ``os`` "Windows" when the saved
    guest OS id names Microsoft's.
    """

    def __init__(self, context: interfaces.context.ContextInterface, config_path: str,
                 name: str, metadata: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(context=context, config_path=config_path, name=name,
                         metadata=metadata)
        self._metadata = dict(self._metadata)
        self._metadata.update(self._vp_metadata())

    @property
    def image(self) -> hvs.Image:
        return self.context.layers[self._base_layer].image

    def read(self, offset: int, length: int, pad: bool = False) -> bytes:
        # Fast path: one guest-physical read in the library, instead of a
        # mapping walk and a read per segment through HvsRawLayer.  Reads
        # that reach unsaved memory take volatility3's path, which pads
        # or raises InvalidAddressException at the right address.
        if length > 0 and offset >= 0:
            with self._lock:
                if len(self._scratch) < length:
                    self._scratch = bytearray(length)
                mv = memoryview(self._scratch)[:length]
                try:
                    self._image_ref.read_into(offset, mv)
                    return bytes(mv)
                except hvs.HvsError:
                    pass
                finally:
                    mv.release()
        return super().read(offset, length, pad)

    def _load_segments(self) -> None:
        base = self.context.layers[self._base_layer]
        if not isinstance(base, HvsRawLayer):
            raise exceptions.LayerException(self.name, "base layer is not an HvsRawLayer")
        self._image_ref = base.image
        # A reused read buffer (one copy per read), and the library's rule:
        # one thread at a time per image (volatility3 may use threads).
        self._scratch = bytearray(0)
        self._lock = base.lock
        self._segments = [(r.gpa, r.raw_offset, r.size, r.size) for r in base.image.ranges]
        if not self._segments:
            raise exceptions.LayerException(self.name, "the saved state holds no memory")

    def _vp_metadata(self) -> Dict[str, Any]:
        img = self.image
        cr3s: List[Optional[int]] = []
        modes: List[Optional[str]] = []
        for vp in img.vps:
            try:
                mode = vp.paging_mode
                cr3 = vp.cr3 & _CR3_MASK[mode] if mode in _CR3_MASK else None
            except hvs.HvsError:
                mode, cr3 = None, None
            cr3s.append(cr3)
            modes.append(mode)
        md: Dict[str, Any] = {"vp_page_map_offsets": tuple(cr3s),
                              "vp_paging_modes": tuple(modes)}
        if modes and modes[0] in _ARCH and cr3s[0] is not None:
            md["page_map_offset"] = cr3s[0]
            md["architecture"] = _ARCH[modes[0]]
            md["pae"] = modes[0] == "pae"
        ids = img.partition_info().guest_os_ids
        # HV guest OS id: bit 63 clear = closed source, vendor in 62:48
        # (1 = Microsoft).
        if ids.get(0) and not ids[0] >> 63 and (ids[0] >> 48) & 0x7FFF == 1:
            md["os"] = "Windows"
        return md


class HvsStacker(interfaces.automagic.StackerLayerInterface):
    """Stacks HvsRawLayer on a .vmrs / .bin file (volatility3's FileLayer)."""

    # Before the OS stackers (35, 40) that look for page tables, and
    # before HvsPhysicalStacker (volatility3 uses each stacker once per
    # stack, in stack_order).
    stack_order = 8

    @classmethod
    def stack(cls, context: interfaces.context.ContextInterface, layer_name: str,
              progress_callback: constants.ProgressCallback = None
              ) -> Optional[interfaces.layers.DataLayerInterface]:
        layer = context.layers[layer_name]
        if not isinstance(layer, physical.FileLayer):
            return None
        path = location_to_path(layer.location)
        if path is None:
            return None
        fmt = cls.recognise(layer, path)
        if fmt is None:
            return None
        join = interfaces.configuration.path_join
        name = context.layers.free_layer_name("HvsRawLayer")
        context.config[join(name, "location")] = layer.location
        context.config[join(name, "format")] = fmt
        try:
            return HvsRawLayer(context, name, name)
        except exceptions.LayerException as e:
            vollog.log(constants.LOGLEVEL_VVVV, f"hvsavedstate: {e}")
            return None

    @staticmethod
    def recognise(layer: interfaces.layers.DataLayerInterface, path: str) -> Optional[str]:
        """"vmrs" for a HyperVStorage container holding a saved VM, "bin"
        for a legacy .bin memory file; None for anything else (ELF cores
        and raw images are left to volatility3's own layers)."""
        if path.lower().endswith(".bin"):
            return "bin"
        # The library's own detection (the container header and the keys
        # of a saved VM); cheap to reject other files.
        try:
            with hvs.Image(path) as img:
                return "vmrs" if img.format == "vmrs" else None
        except hvs.HvsError:
            return None


class HvsPhysicalStacker(interfaces.automagic.StackerLayerInterface):
    """Stacks HvsPhysicalLayer (guest-physical addresses) on HvsRawLayer."""

    stack_order = 9

    @classmethod
    def stack(cls, context: interfaces.context.ContextInterface, layer_name: str,
              progress_callback: constants.ProgressCallback = None
              ) -> Optional[interfaces.layers.DataLayerInterface]:
        if not isinstance(context.layers[layer_name], HvsRawLayer):
            return None
        name = context.layers.free_layer_name("HvsPhysicalLayer")
        context.config[interfaces.configuration.path_join(name, "base_layer")] = layer_name
        try:
            return HvsPhysicalLayer(context, name, name)
        except exceptions.LayerException as e:
            vollog.log(constants.LOGLEVEL_VVVV, f"hvsavedstate: {e}")
            return None
