"""Adds an `irot` property (90 degrees clockwise) to the primary item of a HEIC
file written by libheif's heif-enc, fixing box sizes and `iloc` file offsets."""
import struct, sys

src, dst = sys.argv[1], sys.argv[2]
b = bytearray(open(src, 'rb').read())

def find(data, start, end, typ, hdr_extra=0):
    off = start
    while off < end:
        size, t = struct.unpack('>I4s', data[off:off + 8])
        if t == typ:
            return off, size
        off += size
    raise SystemExit('no ' + typ.decode())

meta, meta_size = find(b, 0, len(b), b'meta')
body = meta + 12  # full box
iloc, iloc_size = find(b, body, meta + meta_size, b'iloc')
iprp, iprp_size = find(b, body, meta + meta_size, b'iprp')
ipco, ipco_size = find(b, iprp + 8, iprp + iprp_size, b'ipco')
ipma, ipma_size = find(b, iprp + 8, iprp + iprp_size, b'ipma')
# property index of the new box = number of boxes in ipco + 1
n, off = 0, ipco + 8
while off < ipco + ipco_size:
    n += 1
    off += struct.unpack('>I', b[off:off + 4])[0]
irot_index = n + 1
GROW = 10  # irot box (9) + one association byte

# iloc: shift file offsets of extents (construction method 0) by GROW.
v = b[iloc + 8]
p = iloc + 12
offset_size, length_size = b[p] >> 4, b[p] & 15
base_offset_size, index_size = b[p + 1] >> 4, (b[p + 1] & 15 if v in (1, 2) else 0)
p += 2
count = struct.unpack('>H', b[p:p + 2])[0] if v < 2 else struct.unpack('>I', b[p:p + 4])[0]
p += 2 if v < 2 else 4
def rd(p, n):
    return int.from_bytes(b[p:p + n], 'big') if n else 0
def wr(p, n, val):
    if n:
        b[p:p + n] = val.to_bytes(n, 'big')
for _ in range(count):
    p += 2 if v < 2 else 4
    method = 0
    if v in (1, 2):
        method = struct.unpack('>H', b[p:p + 2])[0] & 15
        p += 2
    p += 2  # data_reference_index
    base = rd(p, base_offset_size)
    if method == 0 and base_offset_size:
        wr(p, base_offset_size, base + GROW)
    p += base_offset_size
    extents = struct.unpack('>H', b[p:p + 2])[0]
    p += 2
    for _ in range(extents):
        p += index_size
        if method == 0 and not base_offset_size:
            wr(p, offset_size, rd(p, offset_size) + GROW)
        p += offset_size + length_size

# ipma: add the association to item 1 (the primary item here).
pv, pflags = b[ipma + 8], int.from_bytes(b[ipma + 9:ipma + 12], 'big')
assert pv == 0 and pflags & 1 == 0, 'only 16-bit ids, 7-bit indices'
q = ipma + 12
entries = struct.unpack('>I', b[q:q + 4])[0]
q += 4
for _ in range(entries):
    item = struct.unpack('>H', b[q:q + 2])[0]
    nassoc = b[q + 2]
    if item == 1:
        b[q + 2] = nassoc + 1
        b[q + 3 + nassoc:q + 3 + nassoc] = bytes([0x80 | irot_index])
        break
    q += 3 + nassoc
else:
    raise SystemExit('item 1 not in ipma')

# irot at the end of ipco: angle 3 = 270 degrees anticlockwise = 90 clockwise.
b[ipco + ipco_size:ipco + ipco_size] = struct.pack('>I4sB', 9, b'irot', 3)
for box in (meta, iprp, ipco):
    size = struct.unpack('>I', b[box:box + 4])[0]
    b[box:box + 4] = struct.pack('>I', size + (9 if box == ipco else GROW))
# ipma sits after ipco, so it moved by 9.
ipma += 9
b[ipma:ipma + 4] = struct.pack('>I', struct.unpack('>I', b[ipma:ipma + 4])[0] + 1)
open(dst, 'wb').write(b)
