"""The pieces of the master stage, one concern per module.

- `loudness`: BS.1770 K-weighting and gated loudness from 100 ms sub-block energies.
- `streams`: ffmpeg decode pipes in, the LAME encode pipe out, in chunks.
- `dynamics`: speaker activity, gate envelopes, and the oversampled true-peak limiter.

`toolkit.master` ties them together; nothing here knows about settings files.
"""
