# LIME server image (used by docker-compose.yml; deploy/kubernetes runs the same image).
#   docker build -t lime .
#   docker run -p 127.0.0.1:5080:5080 -v lime-data:/data lime      # one node, embedded SQLite in /data
# Three stages: the web client (node), the server (.NET SDK, with the client copied next to it as webapp/), then the
# ASP.NET Core runtime, running as the image's non-root "app" user and listening on all interfaces on port 5080.
# tests/Lime.Tests/DeploymentTests.cs checks what can be checked without a Docker engine (paths, user, listener).

# ---- web client: web/dist
FROM node:20-bookworm-slim AS web
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

# ---- server: /out (the csproj copies web/dist to webapp/; LimeBuildWeb=false: the client is already built)
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/ src/
COPY --from=web /src/web/dist web/dist
RUN dotnet publish src/Lime.Server/Lime.Server.csproj -c Release -o /out -p:LimeBuildWeb=false

# ---- runtime
FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /out .
COPY scripts/docker/healthcheck.sh /app/healthcheck.sh
# /data: the data directory (SQLite database, generated signing key, attachments), writable by the app user only.
RUN chmod 755 /app/healthcheck.sh && mkdir -p /data && chown "$APP_UID:$APP_UID" /data && chmod 700 /data
# The server listens on 127.0.0.1:5080 unless told otherwise: inside a container, all interfaces. HTTP_PORTS (set by
# the base image) is cleared so it does not compete with URLS.
ENV ASPNETCORE_URLS=http://0.0.0.0:5080 \
    ASPNETCORE_HTTP_PORTS= \
    Lime__Storage__DataDirectory=/data
EXPOSE 5080
USER $APP_UID
# Ready = the store answers (GET /readyz). Kubernetes ignores this and uses the Deployment's probes.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 CMD ["/app/healthcheck.sh", "5080", "/readyz"]
ENTRYPOINT ["dotnet", "Lime.Server.dll"]
