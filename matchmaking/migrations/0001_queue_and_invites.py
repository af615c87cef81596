# The queue and invites migrations of the first round, squashed into one;
# "replaces" lets a database that applied them go on without running this again.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    replaces = [('matchmaking', '0001_initial'), ('matchmaking', '0002_queue'), ('matchmaking', '0002_invites'), ('matchmaking', '0003_merge_0002_invites_0002_queue')]

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='QueueEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('mode', models.CharField(max_length=32)),
                ('rating', models.IntegerField()),
                ('joined_at', models.DateTimeField()),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='queue_entry', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name_plural': 'queue entries',
                'ordering': ['joined_at', 'id'],
                'indexes': [models.Index(fields=['mode', 'joined_at', 'id'], name='queue_mode_wait_idx')],
            },
        ),
        migrations.CreateModel(
            name='Invite',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('game', 'Game'), ('lobby', 'Lobby')], max_length=8)),
                ('mode', models.CharField(blank=True, default='', max_length=32)),
                ('lobby_id', models.PositiveBigIntegerField(blank=True, null=True)),
                ('status', models.CharField(choices=[('pending', 'Pending'), ('accepted', 'Accepted'), ('declined', 'Declined'), ('cancelled', 'Cancelled'), ('expired', 'Expired')], default='pending', max_length=16)),
                ('game_id', models.PositiveBigIntegerField(blank=True, help_text='The game an accepted game invite made.', null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('expires_at', models.DateTimeField()),
                ('responded_at', models.DateTimeField(blank=True, null=True)),
                ('from_user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='invites_sent', to=settings.AUTH_USER_MODEL)),
                ('to_user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='invites_received', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-created_at', '-id'],
                'indexes': [models.Index(fields=['to_user', 'status'], name='invite_inbox_idx'), models.Index(fields=['from_user', 'status'], name='invite_sent_idx'), models.Index(condition=models.Q(('status', 'pending')), fields=['expires_at'], name='invite_pending_due_idx')],
                'constraints': [models.CheckConstraint(condition=models.Q(('from_user', models.F('to_user')), _negated=True), name='invite_not_self'), models.CheckConstraint(condition=models.Q(models.Q(('kind', 'game'), models.Q(('mode', ''), _negated=True), ('lobby_id__isnull', True)), models.Q(('kind', 'lobby'), ('lobby_id__isnull', False)), _connector='OR'), name='invite_kind_target'), models.CheckConstraint(condition=models.Q(models.Q(('responded_at__isnull', True), ('status', 'pending')), models.Q(models.Q(('status', 'pending'), _negated=True), ('responded_at__isnull', False)), _connector='OR'), name='invite_responded_iff_not_pending'), models.CheckConstraint(condition=models.Q(('game_id__isnull', True), models.Q(('kind', 'game'), ('status', 'accepted')), _connector='OR'), name='invite_game_only_when_accepted'), models.UniqueConstraint(condition=models.Q(('status', 'pending')), fields=('from_user', 'to_user'), name='invite_one_pending_per_pair')],
            },
        ),
    ]
