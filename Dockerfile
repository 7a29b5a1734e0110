# The one binary, built without cgo (SQLite is pure Go) and shipped on a
# distroless base: no shell, no package manager, runs as a non-root user.

FROM golang:1.26 AS build
WORKDIR /src
# Dependencies first, so that a change to the code alone reuses this layer.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /web ./cmd/web
# The media folder exists in the image, owned by nonroot: a named volume
# mounted on it starts as a copy of it, ownership included, where a missing
# folder would be made root's and refuse uploads.
RUN mkdir -p /out/media

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /web /web
# The nonroot user owns its home; without DATABASE_URL the SQLite default
# (db.sqlite3 in the working directory) needs a directory it can write.
WORKDIR /home/nonroot
COPY --from=build --chown=65532:65532 /out/media /home/nonroot/media
EXPOSE 8000
ENTRYPOINT ["/web"]
CMD ["serve", "--addr", ":8000"]
