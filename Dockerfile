FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN SECRET_KEY=build STATIC_ROOT=/app/staticfiles python manage.py collectstatic --noinput

EXPOSE 8000
# One uvicorn process per container (scale with replicas); see the README, "Which server serves what".
CMD ["uvicorn", "--no-access-log", "--ws", "websockets-sansio", "--ws-per-message-deflate", "false", \
     "--timeout-graceful-shutdown", "10", "--host", "0.0.0.0", "--port", "8000", "gameplatform.asgi:application"]
