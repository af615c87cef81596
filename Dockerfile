FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN SECRET_KEY=build STATIC_ROOT=/app/staticfiles python manage.py collectstatic --noinput

EXPOSE 8000
CMD ["daphne", "--access-log", "/dev/null", "-b", "0.0.0.0", "-p", "8000", "gameplatform.asgi:application"]
