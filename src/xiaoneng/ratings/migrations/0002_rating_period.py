# Index-only: the dashboard's KPIs of a period count ratings and bad reviews given between two
# days, for the city or per department, from the index alone (docs/kpis.md).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('ratings', '0001_initial'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='rating',
            index=models.Index(
                fields=['created_at', 'department', 'is_bad', 'appeal_state'], name='rating_period'
            ),
        ),
    ]
