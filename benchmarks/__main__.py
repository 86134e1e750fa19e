def main() -> None:
    raise SystemExit('no benchmarks yet')


if __name__ == '__main__':
    main()
