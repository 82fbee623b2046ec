"""`oss-conformance serve`: the embedded reference endpoint alone, until interrupted."""

from __future__ import annotations

import argparse
import signal
import threading
from typing import Any, TextIO

from ..status import ExitStatus


def add_parser(sub: Any) -> None:
    """Register `serve`."""
    serve = sub.add_parser("serve", help="run the reference endpoint (OSS or S3 dialect) until "
                           "interrupted")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default: 127.0.0.1, this machine only)")
    serve.add_argument("--port", type=int, default=0,
                       help="port to listen on (default: 0, a free port, printed at start)")
    serve.add_argument("--dialect", choices=("oss", "s3"), default="oss",
                       help="wire dialect: oss (OSS V1/V4 signatures, OSS errors) or s3 (SigV4, "
                       "AWS's errors and CORS headers); default oss")
    serve.add_argument("--region", default=None,
                       help="signing region (default: cn-hangzhou for oss, us-east-1 for s3)")
    serve.add_argument("--latency-ms", type=int, default=0,
                       help="delay every response by this many ms (default: 0), to see the "
                       "suite as a remote endpoint would")



def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run the reference endpoint in the foreground until SIGINT or SIGTERM."""
    from ..reference import ReferenceServer
    from ..targets import Target, resolve_credentials

    target = Target(endpoint=f"http://{args.host}:{args.port or 1}", region=args.region,
                    dialect=args.dialect)
    creds = resolve_credentials(target)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with ReferenceServer(credentials={creds.access_key_id: creds.secret}, host=args.host,
                         port=args.port, region=target.region_name, latency_ms=args.latency_ms,
                         dialect=args.dialect) as srv:
        print(f"reference {args.dialect.upper()} endpoint at {srv.endpoint} (region "
              f"{srv.region}, access key id {creds.access_key_id}); Ctrl-C stops it", file=out,
              flush=True)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
    return ExitStatus.OK
