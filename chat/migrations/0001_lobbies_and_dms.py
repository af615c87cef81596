# The lobbies and direct messages migrations of the first round, squashed into one;
# "replaces" lets a database that applied them go on without running this again.

import django.db.models.deletion
import django.db.models.functions.text
import django.db.models.lookups
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    replaces = [('chat', '0001_initial'), ('chat', '0002_lobbies'), ('chat', '0002_direct_messages'), ('chat', '0003_merge_0002_direct_messages_0002_lobbies')]

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Lobby',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100)),
                ('is_public', models.BooleanField(default=True)),
                ('max_participants', models.PositiveSmallIntegerField(default=8)),
                ('status', models.CharField(choices=[('open', 'Open'), ('in_game', 'In Game'), ('closed', 'Closed')], default='open', max_length=16)),
                ('participant_count', models.PositiveSmallIntegerField(default=0)),
                ('game_id', models.BigIntegerField(blank=True, null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('owner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='owned_lobbies', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='LobbyBan',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('reason', models.CharField(blank=True, max_length=500)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('banned_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('lobby', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='bans', to='chat.lobby')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='lobby_bans', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='LobbyEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('create', 'Create'), ('join', 'Join'), ('leave', 'Leave'), ('kick', 'Kick'), ('ban', 'Ban'), ('unban', 'Unban'), ('moderator_added', 'Moderator Added'), ('moderator_removed', 'Moderator Removed'), ('owner_changed', 'Owner Changed'), ('start', 'Start'), ('close', 'Close'), ('message_deleted', 'Message Deleted')], max_length=32)),
                ('reason', models.CharField(blank=True, max_length=500)),
                ('data', models.JSONField(blank=True, default=dict)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('lobby', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='chat.lobby')),
                ('target', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='LobbyMessage',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('content', models.TextField()),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('lobby', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='messages', to='chat.lobby')),
                ('sender', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='lobby_messages', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['id'],
            },
        ),
        migrations.CreateModel(
            name='Membership',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('role', models.CharField(choices=[('owner', 'Owner'), ('moderator', 'Moderator'), ('member', 'Member')], default='member', max_length=16)),
                ('joined_at', models.DateTimeField(auto_now_add=True)),
                ('lobby', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='memberships', to='chat.lobby')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='lobby_memberships', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['joined_at', 'id'],
            },
        ),
        migrations.AddIndex(
            model_name='lobby',
            index=models.Index(fields=['status', 'is_public', '-created_at'], name='lobby_status_public_idx'),
        ),
        migrations.AddConstraint(
            model_name='lobby',
            constraint=models.CheckConstraint(condition=models.Q(('max_participants__gte', 2), ('max_participants__lte', 64)), name='lobby_max_participants_range'),
        ),
        migrations.AddConstraint(
            model_name='lobby',
            constraint=models.CheckConstraint(condition=models.Q(('participant_count__lte', models.F('max_participants'))), name='lobby_not_over_capacity'),
        ),
        migrations.AddConstraint(
            model_name='lobby',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['open', 'in_game', 'closed'])), name='lobby_status'),
        ),
        migrations.AddConstraint(
            model_name='lobbyban',
            constraint=models.UniqueConstraint(fields=('lobby', 'user'), name='lobby_ban_unique'),
        ),
        migrations.AddIndex(
            model_name='lobbyevent',
            index=models.Index(fields=['lobby', '-created_at'], name='lobby_event_lobby_idx'),
        ),
        migrations.AddIndex(
            model_name='lobbyevent',
            index=models.Index(fields=['kind', '-created_at'], name='lobby_event_kind_idx'),
        ),
        migrations.AddIndex(
            model_name='lobbymessage',
            index=models.Index(fields=['lobby', '-id'], name='lobby_message_history_idx'),
        ),
        migrations.AddConstraint(
            model_name='lobbymessage',
            constraint=models.CheckConstraint(condition=models.Q(django.db.models.lookups.GreaterThanOrEqual(django.db.models.functions.text.Length('content'), 1), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('content'), 1000)), name='lobby_message_length'),
        ),
        migrations.AddIndex(
            model_name='membership',
            index=models.Index(fields=['user'], name='lobby_membership_user_idx'),
        ),
        migrations.AddConstraint(
            model_name='membership',
            constraint=models.UniqueConstraint(fields=('lobby', 'user'), name='lobby_membership_unique'),
        ),
        migrations.AddConstraint(
            model_name='membership',
            constraint=models.UniqueConstraint(condition=models.Q(('role', 'owner')), fields=('lobby',), name='lobby_one_owner'),
        ),
        migrations.AddConstraint(
            model_name='membership',
            constraint=models.CheckConstraint(condition=models.Q(('role__in', ['owner', 'moderator', 'member'])), name='lobby_role'),
        ),
        migrations.CreateModel(
            name='DirectMessage',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('content', models.TextField(max_length=2000)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('read_at', models.DateTimeField(blank=True, null=True)),
                ('recipient', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='dms_received', to=settings.AUTH_USER_MODEL)),
                ('sender', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='dms_sent', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['id'],
                'indexes': [models.Index(fields=['sender', 'recipient', 'id'], name='dm_pair_id_idx'), models.Index(condition=models.Q(('read_at__isnull', True)), fields=['recipient', 'sender'], name='dm_unread_idx')],
                'constraints': [models.CheckConstraint(condition=models.Q(('sender', models.F('recipient')), _negated=True), name='dm_not_self'), models.CheckConstraint(condition=models.Q(django.db.models.lookups.GreaterThanOrEqual(django.db.models.functions.text.Length('content'), 1), django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('content'), 2000)), name='dm_content_length')],
            },
        ),
    ]
