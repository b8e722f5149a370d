# Index-only: the dashboard's KPIs of a period count applications received or accepted between
# two days, for the city or one department (docs/kpis.md).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('applications', '0001_initial'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='application',
            index=models.Index(fields=['received_on', 'department'], name='application_received_dept'),
        ),
        migrations.AddIndex(
            model_name='application',
            index=models.Index(fields=['accepted_on', 'department'], name='application_accepted_dept'),
        ),
    ]
