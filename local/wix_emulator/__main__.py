"""`wix-emulator` (and `make wix-emulator`): run the emulator on 127.0.0.1 until Ctrl-C."""

from __future__ import annotations

import argparse
import logging
import threading
from collections.abc import Sequence

from wix_emulator.faults import ENDPOINTS, Fault
from wix_emulator.server import WixEmulator
from wix_emulator.settings import EmulatorSettings

_EXTRA_KEYS = ('endpoint', 'method', 'status', 'fault', 'acted', 'origin')


class _KeyValueFormatter(logging.Formatter):
    """Shows the structured `extra` keys the emulator logs with, as key=value pairs."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        pairs = [f'{key}={getattr(record, key)}' for key in _EXTRA_KEYS if hasattr(record, key)]
        return ' '.join([line, *pairs])


def _fault_rule(text: str) -> tuple[str, Fault, float]:
    # endpoint=FAULT:probability, e.g. get_import=HTTP_503:0.3
    try:
        endpoint, rest = text.split('=', 1)
        fault_name, probability = rest.split(':', 1)
        rule = (endpoint, Fault(fault_name), float(probability))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f'expected endpoint=FAULT:probability, got {text!r}') from exc
    if endpoint not in ENDPOINTS:
        raise argparse.ArgumentTypeError(f'unknown endpoint {endpoint!r}')
    return rule


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='wix-emulator', description='A local Wix Loyalty Imports API.')
    parser.add_argument('--port', type=int, default=8765, help='port on 127.0.0.1 (0 = any free port)')
    parser.add_argument('--parse-delay', type=float, default=2.0, help='seconds from create to PARSED')
    parser.add_argument('--import-delay', type=float, default=3.0, help='seconds from execute to IMPORTED')
    parser.add_argument(
        '--unknown-contact', action='append', default=[], metavar='EMAIL', help='an address with no contact'
    )
    parser.add_argument(
        '--slow',
        type=float,
        default=3.0,
        help='a SLOW answer is held until the client gives up, or this many seconds at most',
    )
    parser.add_argument('--token-ttl', type=float, default=14400, help='OAuth token lifetime in seconds')
    parser.add_argument(
        '--fault',
        action='append',
        default=[],
        type=_fault_rule,
        metavar='ENDPOINT=FAULT:P',
        help=f'random fault, e.g. get_import=HTTP_503:0.3 (faults: {", ".join(Fault)})',
    )
    parser.add_argument('--seed', type=int, default=None, help='seed for the random faults')
    parser.add_argument(
        '--account',
        action='append',
        default=[],
        type=_account,
        metavar='EMAIL=POINTS',
        help='a loyalty account the site already has, e.g. ann@example.com=40',
    )
    parser.add_argument(
        '--accounts-lag', type=float, default=0.0, help='seconds account reads lag behind imports'
    )
    parser.add_argument(
        '--import-mode',
        choices=('set', 'add'),
        default='set',
        help="'add': imports add points (not Wix's way)",
    )
    parser.add_argument(
        '--file-name-mode',
        choices=('echo', 'guid'),
        default='echo',
        help="fileMetadata.name: 'echo' the fileName sent, or 'guid' (what the SDK's types say)",
    )
    return parser


def _account(value: str) -> tuple[str, int]:
    email, _, points = value.rpartition('=')
    if not email or not points.isdigit():
        raise argparse.ArgumentTypeError(f'an account is EMAIL=POINTS, not {value!r}')
    return email, int(points)


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    handler = logging.StreamHandler()
    handler.setFormatter(_KeyValueFormatter('%(asctime)s %(message)s'))
    logging.getLogger('wix_emulator').addHandler(handler)
    logging.getLogger('wix_emulator').setLevel(logging.INFO)
    settings = EmulatorSettings(
        parse_delay_s=args.parse_delay,
        import_delay_s=args.import_delay,
        unknown_contacts=frozenset(args.unknown_contact),
        slow_s=args.slow,
        token_ttl_s=args.token_ttl,
        accounts_lag_s=args.accounts_lag,
        import_mode=args.import_mode,
        file_name_mode=args.file_name_mode,
    )
    emulator = WixEmulator(settings, port=args.port, accounts=dict(args.account))
    for endpoint, fault, probability in args.fault:
        emulator.faults.random(endpoint, fault, probability=probability, seed=args.seed)
    try:
        emulator.start()
    except OSError as exc:
        raise SystemExit(f'wix-emulator: cannot listen on 127.0.0.1:{args.port}: {exc.strerror}') from exc
    try:
        creds = emulator.credentials
        # These credentials are fake and valid only for this run of the emulator.
        print(f'Wix emulator on {emulator.origin}  (Ctrl-C to stop)', flush=True)
        print(f'  WIX_BASE_URL={emulator.base_url}', flush=True)
        print(f'  WIX_ACCOUNTS_BASE_URL={emulator.accounts_base_url}', flush=True)
        print(f'  WIX_OAUTH_TOKEN_URL={emulator.oauth_token_url}', flush=True)
        print(f'  api_key={creds.api_key}  site_id={creds.site_id}', flush=True)
        print(
            f'  app_id={creds.app_id}  app_secret={creds.app_secret}  instance_id={creds.instance_id}',
            flush=True,
        )
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print('stopped', flush=True)

    finally:
        emulator.stop()


if __name__ == '__main__':
    main()
