"""32-bit big-endian PowerPC guest: decode/lift and its Linux ABI."""
