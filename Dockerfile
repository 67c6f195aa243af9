# A minimal image: the static daemonlint binary and nothing else.
#
#   docker build -t daemonlint .                     builds from source (the default stage)
#   docker run --rm -v "$PWD:/work" daemonlint check deploy/
#
# The release workflow builds the `release` stage instead, from the static musl binaries it has
# already built and checked (dist/image/<arch>/daemonlint), for linux/amd64 and linux/arm64.

FROM rust:1-alpine AS build
RUN apk add --no-cache musl-dev
WORKDIR /src
COPY . .
# No .git in the build context: the commit for `daemonlint --version` comes from this argument.
ARG DAEMONLINT_COMMIT=""
RUN cargo build --release --locked && cp target/release/daemonlint /daemonlint

FROM scratch AS release
ARG TARGETARCH
COPY dist/image/${TARGETARCH}/daemonlint /daemonlint
WORKDIR /work
ENTRYPOINT ["/daemonlint"]
CMD ["check", "."]

FROM scratch AS source
COPY --from=build /daemonlint /daemonlint
WORKDIR /work
ENTRYPOINT ["/daemonlint"]
CMD ["check", "."]
