#!/bin/sh
# One-shot of docker-compose.yml (image quay.io/minio/mc, alias `local` from MC_HOST_local): every service's
# bucket, created with Object Lock (which turns versioning on and cannot be turned off), idempotent.
# The W4 evidence bucket also gets a default retention of COMPLIANCE for 5 years (design.md §5), so no object
# in it can be deleted or overwritten before then, not even by the root user.
#   BUCKETS           space-separated bucket names
#   EVIDENCE_BUCKETS  the subset that keeps evidence (default retention)
set -eu
for bucket in $BUCKETS; do
  mc mb --ignore-existing --with-lock "local/$bucket"
  mc version enable "local/$bucket"
done
for bucket in $EVIDENCE_BUCKETS; do
  mc retention set --default COMPLIANCE 5y "local/$bucket"
done
